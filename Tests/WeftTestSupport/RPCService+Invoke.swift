public import WeftRPC

/// Calls a service's handlers directly, without a transport: requests and responses are encoded exactly as a
/// transport would pass them, but no socket, HTTP/2 session or event loop is involved.
extension RPCService {
    /// The handler of `method`.
    /// - Throws: ``RPCError`` (UNIMPLEMENTED) when the service has no such method.
    public func handler(for method: String) throws -> RPCHandler {
        guard let handler = methods.first(where: { $0.method == method })?.handler else {
            throw RPCError(code: .unimplemented, message: "\(serviceName) has no method \(method)")
        }
        return handler
    }

    /// A context for calling `method`, as a transport would build it.
    public func context(for method: String, metadata: Metadata = Metadata()) throws -> ServerContext {
        let kind = try handler(for: method).kind
        return ServerContext(
            method: MethodDescriptor(service: serviceName, method: method, kind: kind),
            metadata: metadata,
            peer: "in-memory"
        )
    }

    /// Calls a unary method (inline or in a task) and decodes its response.
    public func callUnary<Response: WireMessage>(
        _ method: String,
        _ request: some WireMessage,
        as: Response.Type = Response.self
    ) async throws -> Response {
        let context = try context(for: method)
        switch try handler(for: method) {
        case .inlineUnary(let body): return try Response(wireBytes: try body(request.wireBytes(), context))
        case .unary(let body): return try Response(wireBytes: try await body(request.wireBytes(), context))
        default: throw wrongKind(method, expected: .unary)
        }
    }

    /// Calls a server-streaming method; its responses go to `responses`. Returns when the handler does.
    public func callServerStreaming(
        _ method: String,
        _ request: some WireMessage,
        responses: any RPCMessageSink
    ) async throws {
        guard case .serverStreaming(let body) = try handler(for: method) else {
            throw wrongKind(method, expected: .serverStreaming)
        }
        try await body(request.wireBytes(), try context(for: method), responses)
    }

    /// Calls a client-streaming method reading from `requests`, and decodes its response.
    public func callClientStreaming<Response: WireMessage>(
        _ method: String,
        requests: any RPCMessageSource,
        as: Response.Type = Response.self
    ) async throws -> Response {
        guard case .clientStreaming(let body) = try handler(for: method) else {
            throw wrongKind(method, expected: .clientStreaming)
        }
        return try Response(wireBytes: try await body(requests, try context(for: method)))
    }

    /// Calls a bidirectional-streaming method. Returns when the handler does.
    public func callBidirectional(
        _ method: String,
        requests: any RPCMessageSource,
        responses: any RPCMessageSink
    ) async throws {
        guard case .bidirectionalStreaming(let body) = try handler(for: method) else {
            throw wrongKind(method, expected: .bidirectionalStreaming)
        }
        try await body(requests, responses, try context(for: method))
    }

    private func wrongKind(_ method: String, expected: RPCKind) -> RPCError {
        RPCError(code: .unimplemented, message: "\(serviceName)/\(method) is not a \(expected) method")
    }
}
