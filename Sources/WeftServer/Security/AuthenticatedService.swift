public import WeftRPC

/// A service whose every handler first asks an ``Authenticator``: the same name and methods, each call refused
/// with UNAUTHENTICATED or PERMISSION_DENIED before the wrapped handler runs (inline handlers check inline).
public struct AuthenticatedService: RPCService {
    public let serviceName: String
    public let methods: [(method: String, handler: RPCHandler)]

    public init(_ service: any RPCService, authenticator: Authenticator) {
        let name = service.serviceName
        serviceName = name
        methods = service.methods.map { method, handler in
            (method, Self.wrap(handler, service: name, authenticator: authenticator))
        }
    }

    static func wrap(_ handler: RPCHandler, service: String, authenticator: Authenticator) -> RPCHandler {
        switch handler {
        case .inlineUnary(let body):
            .inlineUnary { request, context in
                try authenticator.authorize(service: service, metadata: context.metadata)
                return try body(request, context)
            }
        case .unary(let body):
            .unary { request, context in
                try authenticator.authorize(service: service, metadata: context.metadata)
                return try await body(request, context)
            }
        case .serverStreaming(let body):
            .serverStreaming { request, context, responses in
                try authenticator.authorize(service: service, metadata: context.metadata)
                try await body(request, context, responses)
            }
        case .clientStreaming(let body):
            .clientStreaming { requests, context in
                try authenticator.authorize(service: service, metadata: context.metadata)
                return try await body(requests, context)
            }
        case .bidirectionalStreaming(let body):
            .bidirectionalStreaming { requests, responses, context in
                try authenticator.authorize(service: service, metadata: context.metadata)
                try await body(requests, responses, context)
            }
        }
    }
}

extension Authenticator {
    /// `service` behind this authenticator; exempt services are returned as they are.
    public func protect(_ service: any RPCService) -> any RPCService {
        exemptServices.contains(service.serviceName) ? service : AuthenticatedService(service, authenticator: self)
    }
}
