public import NIOCore
import NIOPosix
import Synchronization
public import WeftRPC

/// A gRPC client over one HTTP/2 connection (h2c with prior knowledge), on nghttp2.
///
/// Used by the `weft` command, the tests and the benchmarks. Calls may be made from any task; each is
/// cancelled when its task is cancelled, and fails with DEADLINE_EXCEEDED when its timeout passes.
public final class GRPCClient: ClientTransport {
    private let channel: any Channel
    private let handler: NIOLoopBound<GRPCClientConnectionHandler>
    private let ownedGroup: MultiThreadedEventLoopGroup?

    private init(channel: any Channel, handler: NIOLoopBound<GRPCClientConnectionHandler>,
                 ownedGroup: MultiThreadedEventLoopGroup?) {
        self.channel = channel
        self.handler = handler
        self.ownedGroup = ownedGroup
    }

    /// Connects to `host:port`. With no `group`, the client runs its own single event loop.
    public static func connect(
        host: String, port: Int, group: (any EventLoopGroup)? = nil, maxReceiveMessageSize: Int = 4 * 1024 * 1024
    ) async throws -> GRPCClient {
        let ownedGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let authority = "\(host):\(port)"
        do {
            let channel = try await ClientBootstrap(group: group ?? ownedGroup!)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            GRPCClientConnectionHandler(authority: authority, maxMessageSize: maxReceiveMessageSize))
                    }
                }
                .connect(host: host, port: port)
                .get()
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: GRPCClientConnectionHandler.self),
                             eventLoop: channel.eventLoop)
            }.get()
            return GRPCClient(channel: channel, handler: handler, ownedGroup: ownedGroup)
        } catch {
            try? await ownedGroup?.shutdownGracefully()
            throw RPCError(code: .unavailable, message: "cannot connect to \(authority): \(error)", cause: error)
        }
    }

    public func unary(path: String, request: [UInt8], options: CallOptions) async throws -> [UInt8] {
        let handler = handler
        let loop = channel.eventLoop
        let cancellation = CallCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    let id = handler.value.start(path: path, request: request, options: options, sink: .unary(continuation))
                    if cancellation.started(id), let id { handler.value.cancel(streamID: id) }
                }
            }
        } onCancel: {
            if let id = cancellation.cancel() { loop.execute { handler.value.cancel(streamID: id) } }
        }
    }

    public func serverStreaming(path: String, request: [UInt8], options: CallOptions)
        -> AsyncThrowingStream<[UInt8], any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let handler = handler
        let loop = channel.eventLoop
        loop.execute {
            guard let id = handler.value.start(path: path, request: request, options: options, sink: .stream(continuation))
            else { return }
            continuation.onTermination = { termination in
                if case .cancelled = termination { loop.execute { handler.value.cancel(streamID: id) } }
            }
        }
        return stream
    }

    /// Closes the connection (calls in flight fail with UNAVAILABLE) and the client's own event loop.
    public func close() async {
        try? await channel.close()
        try? await ownedGroup?.shutdownGracefully()
    }
}

/// Connects task cancellation (any thread) with the stream id assigned on the event loop.
private final class CallCancellation: Sendable {
    private let state = Mutex<(id: Int32?, cancelled: Bool)>((nil, false))

    /// Records the stream id; returns true when the task was cancelled before it started.
    func started(_ id: Int32?) -> Bool {
        state.withLock { state in
            state.id = id
            return state.cancelled
        }
    }

    /// Marks the call cancelled; returns the stream to reset if it has started.
    func cancel() -> Int32? {
        state.withLock { state in
            state.cancelled = true
            return state.id
        }
    }
}
