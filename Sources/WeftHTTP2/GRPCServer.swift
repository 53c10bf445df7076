public import Logging
public import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
public import WeftRPC

/// A gRPC server on nghttp2: h2c with prior knowledge, one nghttp2 session per connection on its event loop.
///
/// ```swift
/// let server = GRPCServer(router: router, config: .defaults, logger: logger)
/// let address = try await server.bind(host: "127.0.0.1", port: 0)
/// …
/// await server.drain(grace: .seconds(30))
/// ```
public final class GRPCServer: Sendable {
    private let router: ServiceRouter
    private let config: GRPCServerConfig
    private let logger: Logger
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let registry = ConnectionRegistry()
    private let listener = Mutex<(any Channel)?>(nil)
    private let tls: TLSContextStore?

    /// Creates a server. With no `group`, it runs one event loop per core and shuts them down on ``close()``.
    public init(
        router: ServiceRouter, config: GRPCServerConfig = .defaults, logger: Logger,
        group: (any EventLoopGroup)? = nil, threads: Int = System.coreCount
    ) {
        self.router = router
        self.config = config
        self.logger = logger
        tls = config.tls.map(TLSContextStore.init(settings:))
        if let group {
            self.group = group
            ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(threads, 1))
            ownsGroup = true
        }
    }

    /// Binds and starts accepting connections; returns the bound address (port 0 picks a free port).
    @discardableResult
    public func bind(host: String, port: Int) async throws -> SocketAddress {
        let router = router
        let config = config
        let logger = logger
        let registry = registry
        let tls = tls
        // Load the files before listening, so that a bad certificate fails the start rather than each handshake.
        _ = try tls?.context()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // The context current now stays with this connection across later reloads.
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context()))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        GRPCServerConnectionHandler(router: router, config: config, logger: logger, registry: registry))
                }
            }
            .bind(host: host, port: port)
            .get()
        listener.withLock { $0 = channel }
        guard let address = channel.localAddress else {
            throw RPCError(code: .internal, message: "the listening socket has no local address")
        }
        return address
    }

    /// Reads the TLS certificate, key and client CA files again; new connections use them, open ones keep theirs.
    /// - Throws: ``TLSSetupError`` when a file is unreadable or the files do not make a context (the previous
    ///   context stays in use), or when the server was configured without TLS.
    public func reloadTLS() throws {
        guard let tls else { throw TLSSetupError(message: "TLS is not configured") }
        try tls.reload()
    }

    /// The number of open connections.
    public var connectionCount: Int { registry.count }

    /// Graceful shutdown: stop accepting, send each connection the GOAWAY notice and then the final GOAWAY,
    /// let in-flight calls finish for up to `grace`, then cancel what is left and close.
    public func drain(grace: Duration) async {
        let channel = listener.withLock { state -> (any Channel)? in
            defer { state = nil }
            return state
        }
        try? await channel?.close()
        registry.drainAll()
        let registry = registry
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await registry.waitUntilEmpty()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let drained = await group.next() ?? true
            group.cancelAll()
            if !drained {
                registry.forceCloseAll()
            }
        }
        if registry.count > 0 {
            // Force-closed connections finish closing on their loops; wait briefly for them.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await registry.waitUntilEmpty() }
                group.addTask { try? await Task.sleep(for: .seconds(2)) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Closes the listener and every connection at once, then the event loops the server owns.
    public func close() async {
        let channel = listener.withLock { state -> (any Channel)? in
            defer { state = nil }
            return state
        }
        try? await channel?.close()
        registry.forceCloseAll()
        if ownsGroup {
            try? await group.shutdownGracefully()
        }
    }
}
