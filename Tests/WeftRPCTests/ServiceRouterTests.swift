import Testing
import WeftRPC

@Suite("MethodDescriptor and ServiceRouter")
struct ServiceRouterTests {
    private static let echo = StubService(
        serviceName: "test.v1.Echo",
        methods: [
            ("Ping", .inlineUnary { request, _ in request }),
            ("Stream", .serverStreaming { _, _, _ in }),
        ]
    )
    private static let health = StubService(
        serviceName: "grpc.health.v1.Health",
        methods: [("Check", .unary { _, _ in [] })]
    )

    private let router = ServiceRouter(services: [Self.echo, Self.health])

    private func failure(_ path: String) throws -> RPCError {
        guard case .failure(let error) = router.route(for: path) else {
            Issue.record("\(path) was routed")
            throw RPCError(code: .internal, message: "routed")
        }
        return error
    }

    @Test("a method's path is /package.Service/Method and its description omits the leading slash")
    func descriptorPath() {
        let descriptor = MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", kind: .unary)
        #expect(descriptor.path == "/grpc.health.v1.Health/Check")
        #expect(descriptor.description == "grpc.health.v1.Health/Check")
    }

    @Test("a registered path routes to its handler with a descriptor of the handler's kind")
    func routeFound() throws {
        let route = try router.route(for: "/test.v1.Echo/Stream").get()
        #expect(route.descriptor == MethodDescriptor(service: "test.v1.Echo", method: "Stream", kind: .serverStreaming))
        #expect(route.handler.kind == .serverStreaming)
        #expect(try router.route(for: "/grpc.health.v1.Health/Check").get().descriptor.kind == .unary)
        #expect(router.serviceNames == ["test.v1.Echo", "grpc.health.v1.Health"])
    }

    @Test("an unknown service is UNIMPLEMENTED naming the service")
    func unknownService() throws {
        let error = try failure("/test.v1.Nope/Ping")
        #expect(error.code == .unimplemented)
        #expect(error.message == "unknown service test.v1.Nope")
    }

    @Test("an unknown method of a known service is UNIMPLEMENTED naming method and service")
    func unknownMethod() throws {
        let error = try failure("/test.v1.Echo/Nope")
        #expect(error.code == .unimplemented)
        #expect(error.message == "unknown method Nope for service test.v1.Echo")
    }

    @Test("matching is case-sensitive")
    func caseSensitive() throws {
        #expect(try failure("/test.v1.Echo/ping").message == "unknown method ping for service test.v1.Echo")
        #expect(try failure("/TEST.v1.Echo/Ping").message == "unknown service TEST.v1.Echo")
    }

    @Test(
        "malformed paths are UNIMPLEMENTED \"malformed method name\"",
        arguments: ["", "nope", "/", "/svc/", "//m", "test.v1.Echo/Ping"]
    )
    func malformed(path: String) throws {
        let error = try failure(path)
        #expect(error.code == .unimplemented)
        #expect(error.message.hasPrefix("malformed method name"))
    }

    @Test("a later registration of the same path replaces the earlier handler")
    func reRegistration() throws {
        var router = ServiceRouter()
        router.register(StubService(serviceName: "s", methods: [("M", .inlineUnary { _, _ in [1] })]))
        router.register(StubService(serviceName: "s", methods: [("M", .inlineUnary { _, _ in [2] })]))
        #expect(router.serviceNames == ["s"])
        guard case .inlineUnary(let body) = try router.route(for: "/s/M").get().handler else {
            Issue.record("wrong handler kind")
            return
        }
        #expect(try body([], context()) == [2])
    }
}
