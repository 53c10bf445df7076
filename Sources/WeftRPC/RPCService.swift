/// A gRPC service: a fully qualified name and its methods.
public protocol RPCService: Sendable {
    /// The fully qualified service name, e.g. `weft.v1.WorkflowService`.
    var serviceName: String { get }
    /// Every method of the service with its handler.
    var methods: [(method: String, handler: RPCHandler)] { get }
}

/// Maps HTTP/2 paths to handlers. Immutable once built, so lookups need no lock.
public struct ServiceRouter: Sendable {
    /// A resolved method.
    public struct Route: Sendable {
        public let descriptor: MethodDescriptor
        public let handler: RPCHandler
    }

    private var routes: [String: Route] = [:]
    /// Registered service names, in registration order.
    public private(set) var serviceNames: [String] = []

    public init() {}

    public init(services: [any RPCService]) {
        for service in services { register(service) }
    }

    /// Adds a service; a later registration of the same path replaces the earlier one.
    public mutating func register(_ service: any RPCService) {
        if !serviceNames.contains(service.serviceName) { serviceNames.append(service.serviceName) }
        for (method, handler) in service.methods {
            let descriptor = MethodDescriptor(service: service.serviceName, method: method, kind: handler.kind)
            routes[descriptor.path] = Route(descriptor: descriptor, handler: handler)
        }
    }

    /// The route for `path`, or the UNIMPLEMENTED error a client should see, naming what is missing.
    public func route(for path: String) -> Result<Route, RPCError> {
        if let route = routes[path] { return .success(route) }
        guard path.first == "/", let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            return .failure(RPCError(code: .unimplemented, message: "malformed method name: \(path)"))
        }
        let service = String(path[path.index(after: path.startIndex)..<slash])
        let method = String(path[path.index(after: slash)...])
        if service.isEmpty || method.isEmpty {
            return .failure(RPCError(code: .unimplemented, message: "malformed method name: \(path)"))
        }
        if serviceNames.contains(service) {
            return .failure(RPCError(code: .unimplemented, message: "unknown method \(method) for service \(service)"))
        }
        return .failure(RPCError(code: .unimplemented, message: "unknown service \(service)"))
    }
}
