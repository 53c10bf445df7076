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
/// cannot resume them after a restart; in Redis mode they are stopped without a terminal event, stay active in Redis
/// and are resumed by the next start), the server stops accepting connections and sends each connection the
/// GOAWAY notice, a PING and the final GOAWAY; health Watch streams end with UNAVAILABLE; in-flight calls get
/// `drainGrace` to finish before they are cancelled; then the process exits.
public final class WeftServer: Service {
    public let config: WeftServerConfig
    public let health: HealthRegistry
    public let engine: WorkflowEngine
    /// Queues of `queue:NAME` tasks for remote workers.
    public let broker: any ActivityBroker
    private let logger: Logger
    /// Keeps the Redis cache index in step with Redis (SCAN at start, pub/sub after); nil in memory.
    private let cacheRunner: (@Sendable () async throws -> Void)?
    /// Hears this process's queue attempts and fetches queue entries in Redis mode; nil in memory.
    private let brokerRunner: (@Sendable () async -> Void)?
    private let redis: (client: RedisClient, subscriber: RedisSubscriber)?
    /// Redis mode's event log and workflow store; nil in memory.
    private let redisEvents: RedisEventLog?
    private let server: GRPCServer
    /// Checks bearer tokens when `config.auth` is set; its token file is re-read on SIGHUP.
    private let authenticator: Authenticator?
    /// Refuses submissions past the overload limits; counts through the engine's observer hooks.
    public let admission: AdmissionControl
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
        let redis = try config.redisURL.map { try Self.makeRedis(url: $0, logger: logger) }
        self.redis = redis.map { ($0.client, $0.subscriber) }
        let queueMetrics = config.metrics == nil ? nil : WorkerQueueMetrics(factory: MetricsSystem.factory)
        if let redis {
            // Blocking stream reads get connections of their own: one per queue polled at once.
            var fetching = redis.configuration
            fetching.poolSize = config.redisQueueFetchConnections
            let redisBroker = RedisActivityBroker(
                config: config.workers, client: redis.client,
                fetchClient: RedisClient(configuration: fetching, logger: logger), subscriber: redis.subscriber,
                codec: .activityTask, clock: clock, observer: queueMetrics, logger: logger)
            self.broker = redisBroker
            brokerRunner = { await redisBroker.run() }
        } else {
            self.broker = InMemoryActivityBroker(config: config.workers, clock: clock, observer: queueMetrics)
            brokerRunner = nil
        }
        let executors = ExecutorRegistry(
            sim: SimExecutor(clock: clock), exec: commands.isEmpty ? nil : ExecExecutor(commands: commands),
            broker: broker)
        let cacheParts = try Self.makeCache(config, redis: self.redis, logger: logger)
        cacheRunner = cacheParts.runner
        // Metrics are measured only when they are exported (`--metrics-listen`); logs always.
        let telemetry = EngineTelemetry(
            logger: logger, factory: config.metrics == nil ? nil : MetricsSystem.factory)
        let health = health
        let redisEvents = self.redis.map { Self.makeEventLog(config, redis: $0, health: health, logger: logger) }
        self.redisEvents = redisEvents
        var overload = config.overload
        let broker = broker
        overload.probes.append(OverloadProbe(
            resource: "queued_activities", flag: "--max-queued-activities", limit: overload.maxQueuedActivities
        ) { broker.pendingActivities })
        if let redisEvents {
            overload.probes.append(OverloadProbe(
                resource: "buffered_event_writes", flag: "--redis-write-buffer", limit: config.redisWriteBufferLimit
            ) { redisEvents.backlog.count })
        }
        admission = AdmissionControl(
            settings: overload, factory: config.metrics == nil ? nil : MetricsSystem.factory)
        engine = WorkflowEngine(
            config: config.engine, executors: executors,
            eventLog: redisEvents ?? InMemoryEventLog(config: config.engine), cache: cacheParts.cache, clock: clock,
            observer: EngineObservers([telemetry, admission]), store: redisEvents ?? NoWorkflowStore())
        var services: [any RPCService] = [
            WorkflowService(engine: engine, admission: admission), WorkerService(broker: broker),
            HealthService(registry: health),
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

    /// The process's Redis connections (`REDIS_URL`): a command pool and the pub/sub connection.
    private static func makeRedis(url: String, logger: Logger) throws -> (
        client: RedisClient, subscriber: RedisSubscriber, configuration: RedisConfiguration
    ) {
        let configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(url: url)
        } catch {
            throw RPCError(code: .invalidArgument, message: "REDIS_URL: \(error)")
        }
        return (RedisClient(configuration: configuration, logger: logger),
                RedisSubscriber(configuration: configuration, logger: logger), configuration)
    }

    /// Redis mode's event log: health of `weft.v1.WorkflowService` follows whether Redis is reachable.
    private static func makeEventLog(
        _ config: WeftServerConfig, redis: (client: RedisClient, subscriber: RedisSubscriber),
        health: HealthRegistry, logger: Logger
    ) -> RedisEventLog {
        var settings = RedisEventLog.Settings()
        settings.streamMaxLength = config.redisStreamMaxLength
        settings.writeBufferLimit = config.redisWriteBufferLimit
        settings.retention = config.engine.retention
        return RedisEventLog(
            client: redis.client, subscriber: redis.subscriber, settings: settings, logger: logger
        ) { available in
            health.setStatus(available ? .serving : .notServing, for: WorkflowService.name)
        }
    }

    /// The result cache: off, in memory, or fronted by Redis (`REDIS_URL`).
    private static func makeCache(
        _ config: WeftServerConfig, redis: (client: RedisClient, subscriber: RedisSubscriber)?, logger: Logger
    ) throws -> (cache: (any ResultCache)?, runner: (@Sendable () async throws -> Void)?) {
        guard config.cache.enabled else { return (nil, nil) }
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
        guard let redis else {
            let store = InMemoryCacheStore(dimensions: embedder.dimensions)
            let cache = SemanticCache(store: store, embedder: embedder, configuration: configuration, onWarning: warn)
            return (SemanticResultCache(cache: cache), nil)
        }
        let store = RedisCacheStore(
            client: redis.client, subscriber: redis.subscriber, dimensions: embedder.dimensions, logger: logger)
        let cache = SemanticCache(store: store, embedder: embedder, configuration: configuration, onWarning: warn)
        return (SemanticResultCache(cache: cache), { try await store.run() })
    }

    /// Redis mode: resumes the workflows an earlier process left active at start, then every second takes over
    /// those whose process died (its lease expired); keeps trying while Redis is unreachable.
    private static func resumeStoredWorkflows(_ engine: WorkflowEngine, logger: Logger) async {
        var failing = false
        while !Task.isCancelled {
            do {
                let resumed = try await engine.resumeStoredWorkflows()
                if !resumed.isEmpty {
                    logger.info("resumed \(resumed.count) workflow(s) from Redis", metadata: ["workflows": "\(resumed)"])
                }
                failing = false
            } catch {
                if !failing { logger.warning("cannot resume workflows from Redis yet", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    public func run() async throws {
        let engine = engine
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await engine.run() }
            if let brokerRunner {
                group.addTask { await brokerRunner() }
            }
            if let redisEvents {
                let logger = logger
                group.addTask { await redisEvents.run() }
                group.addTask { await Self.resumeStoredWorkflows(engine, logger: logger) }
                group.addTask { await engine.serveCancelRequests() }
            }
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
                let (logger, admission) = (logger, admission)
                group.addTask {
                    let server = MetricsServer(registry: metrics.registry, onScrape: admission.refreshGauges)
                    try await server.run(host: metrics.host, port: metrics.port) {
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
            // Redis mode: the running workflows resume in the next process, so this one's watchers end now.
            redisEvents?.endWatches()
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
