/// Where a streaming handler's responses go. Implemented by transports.
public protocol RPCMessageSink: Sendable {
    /// Queues one encoded message for sending.
    ///
    /// Suspends while the stream's bounded outbound queue is full, so a slow reader slows only its own producer.
    /// - Throws: ``RPCError`` (CANCELLED) once the stream is gone.
    func write(_ message: [UInt8]) async throws
}

/// Where a client- or bidirectional-streaming handler's requests come from. Implemented by transports.
public protocol RPCMessageSource: Sendable {
    /// The next encoded request, or `nil` once the client half-closed.
    /// - Throws: ``RPCError`` when the stream failed (cancelled, malformed framing, too large).
    func next() async throws -> [UInt8]?
}

/// Sends typed responses on a stream.
public struct RPCWriter<Message: WireMessage>: Sendable {
    private let sink: any RPCMessageSink

    public init(_ sink: any RPCMessageSink) { self.sink = sink }

    /// Encodes and sends one message; suspends while the outbound queue is full.
    public func write(_ message: Message) async throws {
        try await sink.write(message.wireBytes())
    }
}

/// Typed requests of a client- or bidirectional-streaming call.
public struct RequestStream<Message: WireMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    private let source: any RPCMessageSource

    public init(_ source: any RPCMessageSource) { self.source = source }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: any RPCMessageSource

        public mutating func next() async throws -> Message? {
            guard let bytes = try await source.next() else { return nil }
            do {
                return try Message(wireBytes: bytes)
            } catch {
                throw RPCError(code: .internal, message: "failed to parse request: \(error)", cause: error)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: source) }
}
