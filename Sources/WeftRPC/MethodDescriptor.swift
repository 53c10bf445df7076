/// The shape of an RPC: how many messages flow each way.
public enum RPCKind: Sendable, Hashable {
    case unary
    case serverStreaming
    case clientStreaming
    case bidirectionalStreaming
}

/// A fully qualified method: `package.Service` and `Method`, routed on the HTTP/2 path `/package.Service/Method`.
public struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The fully qualified service name, e.g. `grpc.health.v1.Health`.
    public var service: String
    /// The method name, e.g. `Check`.
    public var method: String
    public var kind: RPCKind

    public init(service: String, method: String, kind: RPCKind) {
        self.service = service
        self.method = method
        self.kind = kind
    }

    /// The HTTP/2 `:path` of the method.
    public var path: String { "/\(service)/\(method)" }

    public var description: String { "\(service)/\(method)" }
}
