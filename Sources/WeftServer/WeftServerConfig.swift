public import WeftEngine
public import WeftHTTP2

/// Everything `weftd` can be told, with documented defaults. `weftd` maps flags and environment variables onto it.
public struct WeftServerConfig: Sendable {
    /// Address to listen on (`WEFT_LISTEN`); `0.0.0.0` for meshes, which reach the pod IP. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one. Default 50051.
    public var port: Int = 50051
    /// Event-loop threads; default one per core.
    public var threads: Int = System.coreCount
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

    public init() {}

    /// The documented defaults.
    public static var defaults: WeftServerConfig { WeftServerConfig() }
}

import NIOCore
