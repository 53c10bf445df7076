public import Logging
public import NIOCore
public import ServiceLifecycle
import WeftHTTP2
import WeftMessages
import WeftRPC

/// The Weft server as one `Service`: binds the gRPC port, serves until graceful shutdown, then drains.
///
/// Shutdown sequence (SIGTERM/SIGINT through the `ServiceGroup`): every health name turns NOT_SERVING (watchers
/// are told), the server keeps serving for `drainDelay`, then stops accepting and sends each connection the
/// GOAWAY notice, a PING and the final GOAWAY; health Watch streams end with UNAVAILABLE; in-flight calls get
/// `drainGrace` to finish before they are cancelled; then the process exits.
public final class WeftServer: Service {
    public let config: WeftServerConfig
    public let health: HealthRegistry
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
        var services: [any RPCService] = [
            UnimplementedService.workflowService, UnimplementedService.workerService, HealthService(registry: health),
        ]
        if config.enableTestService { services.append(TestService()) }
        let index = try DescriptorIndex(fileDescriptorSet: EmbeddedDescriptorSet.bytes)
        let names = services.map(\.serviceName) + ReflectionService.Version.allCases.map(\.serviceName)
        services += ReflectionService.allVersions(index: index, serviceNames: names)
        for service in [UnimplementedService.workflowService.serviceName, UnimplementedService.workerService.serviceName] {
            health.setStatus(.serving, for: service)
        }
        server = GRPCServer(
            router: ServiceRouter(services: services), config: config.transport, logger: logger,
            threads: config.threads)
    }

    public func run() async throws {
        let address = try await server.bind(host: config.host, port: config.port)
        logger.info("weftd listening on \(address)", metadata: ["address": "\(address)"])
        onBound(address)
        try? await gracefulShutdown()
        logger.info("draining: health NOT_SERVING", metadata: ["delay": "\(config.drainDelay)"])
        health.enterDrain()
        if config.drainDelay > .zero {
            try? await Task.sleep(for: config.drainDelay)
        }
        logger.info("draining: GOAWAY sent, waiting for in-flight calls", metadata: ["grace": "\(config.drainGrace)"])
        async let drained: Void = server.drain(grace: config.drainGrace)
        health.endWatches()
        await drained
        await server.close()
        logger.info("stopped")
    }
}
