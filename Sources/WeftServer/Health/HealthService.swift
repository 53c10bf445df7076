import WeftMessages
public import WeftRPC

/// `grpc.health.v1.Health`: `Check` and `Watch` over a ``HealthRegistry``.
///
/// `Check` answers from the registry on the transport's thread (no task, no I/O), so Kubernetes and Envoy probes
/// stay fast under load; an unregistered name gets NOT_FOUND. `Watch` sends the current status at once and then
/// every change; an unregistered name gets SERVICE_UNKNOWN and the stream stays open. A watch never ends with OK:
/// it runs until the client cancels, or ends with UNAVAILABLE when the registry ends all watches at shutdown.
public struct HealthService: RPCService {
    /// The fully qualified service name.
    public static let name = "grpc.health.v1.Health"

    /// The statuses this service reports.
    public let registry: HealthRegistry

    /// Creates the service over `registry`.
    public init(registry: HealthRegistry) {
        self.registry = registry
    }

    public var serviceName: String { Self.name }

    public var methods: [(method: String, handler: RPCHandler)] {
        let registry = self.registry
        return [
            ("Check", .inlineUnary { (request: Request, _) in try Self.check(request, registry: registry) }),
            (
                "Watch",
                .serverStreaming { (request: Request, _, responses: RPCWriter<Response>) in
                    try await Self.watch(request, registry: registry, responses: responses)
                }
            ),
        ]
    }

    private typealias Request = Grpc_Health_V1_HealthCheckRequest
    private typealias Response = Grpc_Health_V1_HealthCheckResponse

    private static func check(
        _ request: Request,
        registry: HealthRegistry
    ) throws -> Response {
        guard let status = registry.status(for: request.service) else {
            throw RPCError(code: .notFound, message: "unknown service: \"\(request.service)\"")
        }
        return response(status)
    }

    private static func watch(
        _ request: Request,
        registry: HealthRegistry,
        responses: RPCWriter<Response>
    ) async throws {
        let service = request.service
        guard case .watching(let id, let changes) = registry.subscribe(to: service) else {
            throw shuttingDown
        }
        defer { registry.unsubscribe(id, from: service) }

        // Re-read the registry on each signal rather than carrying statuses in the signal: the one-slot signal
        // coalesces bursts, and the latest status is always the one sent.
        var lastSent: HealthRegistry.ServingStatus?
        var signals = changes.makeAsyncIterator()
        repeat {
            let current = registry.status(for: service) ?? .serviceUnknown
            if current != lastSent {
                try await responses.write(response(current))
                lastSent = current
            }
        } while await signals.next() != nil

        // The signals end when this task is cancelled (the client went away) or the registry ended all watches.
        try Task.checkCancellation()
        throw shuttingDown
    }

    private static var shuttingDown: RPCError {
        RPCError(code: .unavailable, message: "server shutting down")
    }

    private static func response(_ status: HealthRegistry.ServingStatus) -> Response {
        var response = Response()
        response.status = status
        return response
    }
}
