public import Logging
public import NIOCore
public import ServiceLifecycle
public import WeftEngine
import WeftCache
import WeftHTTP2
import WeftRedis
import WeftMessages
import WeftRPC
import Foundation
import Metrics
import UnixSignals

/// The Weft server as one `Service`: binds the gRPC port, serves until graceful shutdown, then drains.
///
/// Shutdown sequence (SIGTERM/SIGINT through the `ServiceGroup`): every health name turns NOT_SERVING (watchers
/// are told), the server keeps serving for `drainDelay`, then the engine stops accepting workflows and cancels the
/// running ones (their watchers receive the terminal `workflow_cancelled` event: the embedded in-memory mode
/// cannot resume them after a restart), the server stops accepting connections and sends each connection the
/// GOAWAY notice, a PING and the final GOAWAY; health Watch streams end with UNAVAILABLE; in-flight calls get
/// `drainGrace` to finish before they are cancelled; then the process exits.
public final class WeftServer: Service {
    public let config: WeftServerConfig
    public let health: HealthRegistry
    public let engine: WorkflowEngine
    /// Queues of `queue:NAME` tasks for remote workers.
    public let broker: InMemoryActivityBroker
    private let logger: Logger
    /// Keeps the Redis cache index in step with Redis (SCAN at start, pub/sub after); nil in memory.
    private let cacheRunner: (@Sendable () async throws -> Void)?
    private let redis: (client: RedisClient, subscriber: RedisSubscriber)?
    private let server: GRPCServer
    /// Checks bearer tokens when `config.auth` is set; its token file is re-read on SIGHUP.
    private let authenticator: Authenticator?
    private let onBound: @Sendable (SocketAddress) -> Void

    /// Builds the router with every service. `onBound` runs once the port is accepting connections.
    public init(config: WeftServerConfig, logger: Logger, onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in })
        throws
    {
        self.config = config
        self.logger = logger
        self.onBound = onBound
        health = HealthRegistry()
        let clock = EngineClock.live
        let commands = try config.execConfigPath.map { try ExecCommand.loadConfig(path: $0) } ?? []
        broker = InMemoryActivityBroker(
            config: config.workers, clock: clock,
            observer: config.metrics == nil ? nil : WorkerQueueMetrics(factory: MetricsSystem.factory))
        let executors = ExecutorRegistry(
            sim: SimExecutor(clock: clock), exec: commands.isEmpty ? nil : ExecExecutor(commands: commands),
            broker: broker)
        let cacheParts = try Self.makeCache(config, logger: logger)
        cacheRunner = cacheParts.runner
        redis = cacheParts.redis
        // Metrics are measured only when they are exported (`--metrics-listen`); logs always.
        let telemetry = EngineTelemetry(
            logger: logger, factory: config.metrics == nil ? nil : MetricsSystem.factory)
        engine = WorkflowEngine(
            config: config.engine, executors: executors, eventLog: InMemoryEventLog(config: config.engine),
            cache: cacheParts.cache, clock: clock, observer: telemetry)
        var services: [any RPCService] = [
            WorkflowService(engine: engine), WorkerService(broker: broker), HealthService(registry: health),
        ]
        if config.enableTestService { services.append(TestService()) }
        let index = try DescriptorIndex(fileDescriptorSet: EmbeddedDescriptorSet.bytes)
        let names = services.map(\.serviceName) + ReflectionService.Version.allCases.map(\.serviceName)
        services += ReflectionService.allVersions(index: index, serviceNames: names)
        authenticator = try config.auth.map {
            try Authenticator(settings: $0, reflectionServices: ReflectionService.Version.allCases.map(\.serviceName))
        }
        if let authenticator { services = services.map(authenticator.protect) }
        for service in [WorkflowService.name, WorkerService.name] {
            health.setStatus(.serving, for: service)
        }
        var transport = config.transport
        if config.metrics != nil && transport.metrics == nil { transport.metrics = ServerMetrics() }
        server = GRPCServer(
            router: ServiceRouter(services: services), config: transport, logger: logger,
            threads: config.threads)
    }

    /// The result cache: off, in memory, or fronted by Redis (`REDIS_URL`).
    private static func makeCache(_ config: WeftServerConfig, logger: Logger) throws -> (
        cache: (any ResultCache)?, runner: (@Sendable () async throws -> Void)?,
        redis: (client: RedisClient, subscriber: RedisSubscriber)?
    ) {
        guard config.cache.enabled else { return (nil, nil, nil) }
        let configuration = CacheConfiguration(
            thresholds: CacheThresholds(
                reuse: config.cache.reuseThreshold, similarity: config.cache.similarityThreshold),
            ttl: config.cache.ttl)
        let embedder: any Embedder
        if let url = config.cache.embedderURL {
            guard let baseURL = URL(string: url) else {
                throw RPCError(code: .invalidArgument, message: "--embedder-url \"\(url)\" is not a URL")
            }
            embedder = HTTPEmbedder(configuration: .init(
                baseURL: baseURL, model: config.cache.embedderModel, dimensions: config.cache.embedderDimensions,
                timeout: config.cache.embedderTimeout))
        } else {
            embedder = HashingEmbedder()
        }
        let warn: @Sendable (String) -> Void = { message in logger.warning("cache: \(message)") }
        guard let redisURL = config.redisURL else {
            let store = InMemoryCacheStore(dimensions: embedder.dimensions)
            let cache = SemanticCache(store: store, embedder: embedder, configuration: configuration, onWarning: warn)
            return (SemanticResultCache(cache: cache), nil, nil)
        }
        let redisConfiguration: RedisConfiguration
        do {
            redisConfiguration = try RedisConfiguration(url: redisURL)
        } catch {
            throw RPCError(code: .invalidArgument, message: "REDIS_URL: \(error)")
        }
        let client = RedisClient(configuration: redisConfiguration, logger: logger)
        let subscriber = RedisSubscriber(configuration: redisConfiguration, logger: logger)
        let store = RedisCacheStore(
            client: client, subscriber: subscriber, dimensions: embedder.dimensions, logger: logger)
        let cache = SemanticCache(store: store, embedder: embedder, configuration: configuration, onWarning: warn)
        return (SemanticResultCache(cache: cache), { try await store.run() }, (client, subscriber))
    }

    public func run() async throws {
        let engine = engine
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await engine.run() }
            if let cacheRunner {
                group.addTask {
                    // Cancelled with the group at shutdown; a Redis outage inside it is retried by the store.
                    try? await cacheRunner()
                }
            }
            if config.transport.tls != nil || authenticator != nil {
                // Trapped before the port is announced, so an early SIGHUP reloads rather than kills.
                let hangups = await UnixSignalsSequence(trapping: .sighup)
                let (server, tls, authenticator, logger) = (server, config.transport.tls != nil, authenticator, logger)
                group.addTask {
                    await Self.reloadOnHangup(
                        hangups, server: server, tls: tls, authenticator: authenticator, logger: logger)
                }
            }
            if let metrics = config.metrics {
                let logger = logger
                group.addTask {
                    try await MetricsServer(registry: metrics.registry).run(host: metrics.host, port: metrics.port) {
                        logger.info("metrics on http://\($0)/metrics", metadata: ["address": "\($0)"])
                    }
                }
            }
            let address = try await server.bind(host: config.host, port: config.port)
            logger.info("weftd listening on \(address)", metadata: ["address": "\(address)"])
            onBound(address)
            try? await gracefulShutdown()
            logger.info("draining: health NOT_SERVING", metadata: ["delay": "\(config.drainDelay)"])
            health.enterDrain()
            if config.drainDelay > .zero {
                try? await Task.sleep(for: config.drainDelay)
            }
            engine.shutdown(reason: "the server is shutting down")
            broker.shutdown()
            logger.info("draining: GOAWAY sent, waiting for in-flight calls", metadata: ["grace": "\(config.drainGrace)"])
            async let drained: Void = server.drain(grace: config.drainGrace)
            health.endWatches()
            await drained
            await server.close()
            group.cancelAll()
        }
        redis?.subscriber.shutdown()
        redis?.client.shutdown()
        logger.info("stopped")
    }
}
