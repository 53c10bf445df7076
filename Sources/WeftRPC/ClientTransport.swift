/// Per-call options of a client.
public struct CallOptions: Sendable {
    /// How long the call may take; sent as `grpc-timeout` and enforced locally. `nil`: no deadline.
    public var timeout: Duration?
    /// Custom metadata sent with the request.
    public var metadata: Metadata
    /// Compress the request message with gzip.
    public var compressRequest: Bool

    public init(timeout: Duration? = nil, metadata: Metadata = Metadata(), compressRequest: Bool = false) {
        self.timeout = timeout
        self.metadata = metadata
        self.compressRequest = compressRequest
    }
}

/// A client connection that can make calls on raw bytes. Failures are thrown as ``RPCError``.
public protocol ClientTransport: Sendable {
    /// One request, one response.
    func unary(path: String, request: [UInt8], options: CallOptions) async throws -> [UInt8]
    /// One request, a stream of responses; the stream finishes when the server sends OK, and throws
    /// ``RPCError`` for any other status. Cancelling the consuming task cancels the call.
    func serverStreaming(path: String, request: [UInt8], options: CallOptions)
        -> AsyncThrowingStream<[UInt8], any Error>
}

extension ClientTransport {
    /// A typed unary call.
    public func unary<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor, _ request: Request, as: Response.Type = Response.self,
        options: CallOptions = CallOptions()
    ) async throws -> Response {
        let bytes = try await unary(path: method.path, request: request.wireBytes(), options: options)
        return try decodeResponse(bytes)
    }

    /// A typed server-streaming call.
    public func serverStreaming<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor, _ request: Request, as: Response.Type = Response.self,
        options: CallOptions = CallOptions()
    ) -> ResponseStream<Response> {
        ResponseStream(serverStreaming(path: method.path, request: request.wireBytes(), options: options))
    }
}

/// Typed responses of a server-streaming call.
public struct ResponseStream<Message: WireMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    private let base: AsyncThrowingStream<[UInt8], any Error>

    public init(_ base: AsyncThrowingStream<[UInt8], any Error>) { self.base = base }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator

        public mutating func next() async throws -> Message? {
            guard let bytes = try await base.next() else { return nil }
            return try decodeResponse(bytes)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
}

func decodeResponse<M: WireMessage>(_ bytes: [UInt8]) throws -> M {
    do {
        return try M(wireBytes: bytes)
    } catch {
        throw RPCError(code: .internal, message: "failed to parse response as \(M.self): \(error)", cause: error)
    }
}
