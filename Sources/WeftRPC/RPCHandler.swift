/// A method's implementation on raw bytes, in one of the four call kinds.
///
/// Transports dispatch on the case. ``inlineUnary`` runs on the transport's own thread (an event loop) with no
/// thread hop: use it only for handlers that never block or wait, such as health checks. Every other kind runs
/// in its own task, cancelled when the client cancels, the deadline passes or the connection is lost.
public enum RPCHandler: Sendable {
    case inlineUnary(@Sendable (_ request: [UInt8], _ context: ServerContext) throws -> [UInt8])
    case unary(@Sendable (_ request: [UInt8], _ context: ServerContext) async throws -> [UInt8])
    case serverStreaming(
        @Sendable (_ request: [UInt8], _ context: ServerContext, _ responses: any RPCMessageSink) async throws -> Void
    )
    case clientStreaming(
        @Sendable (_ requests: any RPCMessageSource, _ context: ServerContext) async throws -> [UInt8]
    )
    case bidirectionalStreaming(
        @Sendable (_ requests: any RPCMessageSource, _ responses: any RPCMessageSink, _ context: ServerContext)
            async throws -> Void
    )

    /// The call kind this handler serves.
    public var kind: RPCKind {
        switch self {
        case .inlineUnary, .unary: .unary
        case .serverStreaming: .serverStreaming
        case .clientStreaming: .clientStreaming
        case .bidirectionalStreaming: .bidirectionalStreaming
        }
    }
}

/// Decodes a request, mapping a parse failure to INTERNAL as the gRPC status table asks.
@inline(__always)
func decodeRequest<M: WireMessage>(_ bytes: [UInt8], as: M.Type = M.self) throws -> M {
    do {
        return try M(wireBytes: bytes)
    } catch {
        throw RPCError(code: .internal, message: "failed to parse request as \(M.self): \(error)", cause: error)
    }
}

extension RPCHandler {
    /// A unary handler that runs on the transport's thread; it must not block.
    public static func inlineUnary<Request: WireMessage, Response: WireMessage>(
        _ body: @escaping @Sendable (Request, ServerContext) throws -> Response
    ) -> RPCHandler {
        .inlineUnary { bytes, context in try body(decodeRequest(bytes), context).wireBytes() }
    }

    /// A unary handler run in its own task.
    public static func unary<Request: WireMessage, Response: WireMessage>(
        _ body: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> RPCHandler {
        .unary { bytes, context in try await body(decodeRequest(bytes), context).wireBytes() }
    }

    /// A server-streaming handler: one request, any number of responses.
    public static func serverStreaming<Request: WireMessage, Response: WireMessage>(
        _ body: @escaping @Sendable (Request, ServerContext, RPCWriter<Response>) async throws -> Void
    ) -> RPCHandler {
        .serverStreaming { bytes, context, sink in try await body(decodeRequest(bytes), context, RPCWriter(sink)) }
    }

    /// A client-streaming handler: any number of requests, one response.
    public static func clientStreaming<Request: WireMessage, Response: WireMessage>(
        _ body: @escaping @Sendable (RequestStream<Request>, ServerContext) async throws -> Response
    ) -> RPCHandler {
        .clientStreaming { source, context in try await body(RequestStream(source), context).wireBytes() }
    }

    /// A bidirectional-streaming handler.
    public static func bidirectionalStreaming<Request: WireMessage, Response: WireMessage>(
        _ body: @escaping @Sendable (RequestStream<Request>, RPCWriter<Response>, ServerContext) async throws -> Void
    ) -> RPCHandler {
        .bidirectionalStreaming { source, sink, context in
            try await body(RequestStream(source), RPCWriter(sink), context)
        }
    }
}
