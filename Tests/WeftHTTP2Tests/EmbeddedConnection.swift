// Needs `.product(name: "NIOEmbedded", package: "swift-nio")` in the WeftHTTP2Tests target; without it the
// session tests are compiled out.
import Logging
import NIOCore
import NIOEmbedded
@testable import WeftHTTP2
import WeftRPC
import WeftTestSupport

/// A server connection handler in an `EmbeddedChannel`: no socket, no threads. Everything happens on the
/// calling thread, so a test must create, drive and finish it without suspending in between.
final class EmbeddedServer {
    let channel: EmbeddedChannel
    /// Every byte the server wrote, in order.
    private(set) var written: [UInt8] = []
    /// The first buffer the server wrote.
    private(set) var firstWrite: [UInt8]?

    /// `registry` is shared by servers that stand for connections of one process (the connection cap).
    init(
        services: [any RPCService], config: GRPCServerConfig = .defaults, registry: ConnectionRegistry = ConnectionRegistry()
    ) throws {
        let handler = GRPCServerConnectionHandler(
            router: ServiceRouter(services: services),
            config: config,
            logger: Logger(label: "weft.test", factory: { _ in SwiftLogNoOpLogHandler() }),
            registry: registry
        )
        channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50051)).wait()
    }

    /// Feeds bytes as one read.
    func receive(_ bytes: [UInt8]) throws {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
    }

    /// What the server wrote since the last call.
    @discardableResult
    func takeOutput() throws -> [UInt8] {
        var out: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            let bytes = Array(buffer.readableBytesView)
            if firstWrite == nil { firstWrite = bytes }
            out += bytes
        }
        written += out
        return out
    }

    /// Every frame the server wrote so far.
    var frames: [HTTP2Frame] { HTTP2Frame.parse(written).frames }

    func finish() {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
}

/// The library's client handler in a second `EmbeddedChannel`, wired to an ``EmbeddedServer`` by copying
/// bytes between the two until both are quiet.
final class EmbeddedClientServerPair {
    let server: EmbeddedServer
    let client: EmbeddedChannel
    private let clientHandler: GRPCClientConnectionHandler

    init(
        services: [any RPCService],
        config: GRPCServerConfig = .defaults,
        maxResponseSize: Int = 4 * 1024 * 1024
    )
        throws
    {
        server = try EmbeddedServer(services: services, config: config)
        clientHandler = GRPCClientConnectionHandler(authority: "localhost:50051", maxMessageSize: maxResponseSize)
        client = EmbeddedChannel(handler: clientHandler)
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50051)).wait()
    }

    /// Copies bytes both ways until neither side writes anything more.
    func shuttle(maxRounds: Int = 1000) throws {
        for _ in 0..<maxRounds {
            var moved = false
            while let buffer = try client.readOutbound(as: ByteBuffer.self) {
                moved = true
                if server.channel.isActive { try server.receive(Array(buffer.readableBytesView)) }
            }
            let fromServer = try server.takeOutput()
            if !fromServer.isEmpty {
                moved = true
                if client.isActive { try client.writeInbound(client.allocator.buffer(bytes: fromServer)) }
            }
            client.embeddedEventLoop.run()
            server.channel.embeddedEventLoop.run()
            if !moved { return }
        }
        throw RPCError(code: .internal, message: "the connection did not go quiet within \(maxRounds) rounds")
    }

    /// Starts a call and runs the connection until it is quiet; the returned stream holds the outcome.
    func call(
        _ path: String,
        _ request: [UInt8],
        options: CallOptions = CallOptions()
    ) throws
        -> AsyncThrowingStream<[UInt8], any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        _ = clientHandler.start(path: path, request: request, options: options, sink: .stream(continuation))
        try shuttle()
        return stream
    }

    /// Closes both channels; calls still open fail with UNAVAILABLE.
    func finish() {
        _ = try? client.finish(acceptAlreadyClosed: true)
        server.finish()
    }
}

/// The outcome of a call as the client saw it.
struct CallOutcome {
    var messages: [[UInt8]] = []
    var error: RPCError?

    init(_ stream: AsyncThrowingStream<[UInt8], any Error>) async {
        do {
            for try await message in stream { messages.append(message) }
        } catch let error as RPCError {
            self.error = error
        } catch {
            self.error = RPCError(code: .unknown, message: "not an RPCError: \(error)")
        }
    }
}
