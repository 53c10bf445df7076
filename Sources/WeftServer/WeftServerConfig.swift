public import WeftEngine
public import WeftHTTP2

/// Everything `weftd` can be told, with documented defaults. `weftd` maps flags and environment variables onto it.
public struct WeftServerConfig: Sendable {
    /// Address to listen on (`WEFT_LISTEN`); `0.0.0.0` for meshes, which reach the pod IP. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one. Default 50051.
    public var port: Int = 50051
    /// Event-loop threads; default one per CPU the process may run on (its affinity mask).
    public var threads: Int = AvailableCPUs.count
    /// HTTP/2 and gRPC transport limits.
    public var transport: GRPCServerConfig = .defaults
    /// After SIGTERM, how long to keep serving with health NOT_SERVING before the GOAWAY sequence, so that
    /// endpoints can be withdrawn (Kubernetes and Istio). Default 0.
    public var drainDelay: Duration = .zero
    /// After the GOAWAY sequence, how long in-flight calls may run before they are cancelled. Default 30 s.
    public var drainGrace: Duration = .seconds(30)
    /// Serve `weft.testing.v1.TestService` (interop tests and transport benchmarks). Default off.
    public var enableTestService = false
    /// The workflow engine's settings (MAX_PARALLEL_TASKS, timeouts, streaming, limits).
    public var engine: EngineConfig = .defaults
    /// The operator's `exec:NAME` commands (a JSON file); `nil`: none configured.
    public var execConfigPath: String?
    /// Remote workers' queues (`queue:NAME` tasks): poll timeout, schedule-to-start, limits.
    public var workers: ActivityBrokerConfig = .defaults
    /// `WEFT_REDIS_QUEUE_CONNECTIONS`: in Redis mode, the connections kept for blocking reads of worker queues, one
    /// per queue polled at once on this process. Default 8.
    public var redisQueueFetchConnections = 8
    /// The semantic result cache.
    public var cache = CacheSettings()
    /// `REDIS_URL`: with it, workflow events, workflow state and cache entries live in Redis (shared by every weftd
    /// on it, surviving restarts; see docs/redis.md); `nil`: the embedded in-memory mode.
    public var redisURL: String?
    /// Redis mode: the approximate cap on a workflow stream's entries (`WEFT_REDIS_STREAM_MAX_LENGTH`). 100,000.
    public var redisStreamMaxLength = 100_000
    /// Redis mode: event writes buffered while Redis is unreachable before workflows wait
    /// (`WEFT_REDIS_WRITE_BUFFER`). 10,000.
    public var redisWriteBufferLimit = 10_000
    /// The Prometheus scrape endpoint (`--metrics-listen`); `nil`: no endpoint and no gRPC or engine metrics.
    /// Default `nil`.
    public var metrics: MetricsSettings?
    /// Bearer-token authentication (`--auth-tokens`); `nil`: every call is served without credentials. Default `nil`.
    /// TLS is ``GRPCServerConfig/tls`` in ``transport``.
    public var auth: AuthSettings?
    /// Limits past which `SubmitWorkflow` answers RESOURCE_EXHAUSTED (`--max-running-workflows`,
    /// `--max-pending-tasks`).
    public var overload: OverloadSettings = .defaults

    public init() {}

    /// The documented defaults.
    public static var defaults: WeftServerConfig { WeftServerConfig() }
}

import NIOCore

/// Settings of the semantic result cache, with the original platform's names and defaults.
public struct CacheSettings: Sendable {
    /// Off: every task runs (`WEFT_CACHE=false`). Default on.
    public var enabled = true
    /// `CACHE_REUSE_THRESHOLD`: similarity at or above which a cached result is reused without running. 0.95.
    public var reuseThreshold = 0.95
    /// `CACHE_SIMILARITY_THRESHOLD`: similarity at or above which the task runs with the cached result as its
    /// reference ("adapt"). 0.85.
    public var similarityThreshold = 0.85
    /// `CACHE_TTL`: how long an entry lives from insertion (absolute, not refreshed by hits). 3600 s.
    public var ttl: Duration = .seconds(3600)
    /// An OpenAI-compatible embeddings endpoint (`--embedder-url`); `nil`: the built-in hashing embedder.
    public var embedderURL: String?
    public var embedderModel = "text-embedding-3-small"
    public var embedderDimensions = 384
    public var embedderTimeout: Duration = .seconds(2)

    public init() {}
}
