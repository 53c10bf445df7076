public import Logging
public import NIOCore
public import ServiceLifecycle
public import WeftEngine
import WeftHTTP2
import WeftMessages
import WeftRPC

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
    private let logger: Logger
    private let server: GRPCServer
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
        let executors = ExecutorRegistry(
            sim: SimExecutor(clock: clock), exec: commands.isEmpty ? nil : ExecExecutor(commands: commands))
        engine = WorkflowEngine(
            config: config.engine, executors: executors, eventLog: InMemoryEventLog(config: config.engine), clock: clock)
        var services: [any RPCService] = [
            WorkflowService(engine: engine), UnimplementedService.workerService, HealthService(registry: health),
        ]
        if config.enableTestService { services.append(TestService()) }
        let index = try DescriptorIndex(fileDescriptorSet: EmbeddedDescriptorSet.bytes)
        let names = services.map(\.serviceName) + ReflectionService.Version.allCases.map(\.serviceName)
        services += ReflectionService.allVersions(index: index, serviceNames: names)
        for service in [WorkflowService.name, UnimplementedService.workerService.serviceName] {
            health.setStatus(.serving, for: service)
        }
        server = GRPCServer(
            router: ServiceRouter(services: services), config: config.transport, logger: logger,
            threads: config.threads)
    }

    public func run() async throws {
        let engine = engine
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await engine.run() }
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
            logger.info("draining: GOAWAY sent, waiting for in-flight calls", metadata: ["grace": "\(config.drainGrace)"])
            async let drained: Void = server.drain(grace: config.drainGrace)
            health.endWatches()
            await drained
            await server.close()
        }
        logger.info("stopped")
    }
}
