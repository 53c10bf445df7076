import Foundation
import Testing
import WeftRPC
import WeftServer

/// A service with one method of each of the five handler kinds, each answering `[1]` when it runs.
private struct AllKindsService: RPCService {
    let serviceName: String

    var methods: [(method: String, handler: RPCHandler)] {
        [
            ("Inline", .inlineUnary { _, _ in [1] }),
            ("Unary", .unary { _, _ in [1] }),
            ("ServerStreaming", .serverStreaming { _, _, responses in try await responses.write([1]) }),
            ("ClientStreaming", .clientStreaming { _, _ in [1] }),
            ("Bidi", .bidirectionalStreaming { _, responses, _ in try await responses.write([1]) }),
        ]
    }
}

private struct NoRequests: RPCMessageSource {
    func next() async throws -> [UInt8]? { nil }
}

private final class Discard: RPCMessageSink {
    func write(_ message: [UInt8]) async throws {}
}

/// Runs `method` of `service` with `metadata`; returns the status code it ended with (`.ok` when it ran).
private func call(_ service: any RPCService, _ method: String, metadata: Metadata) async -> StatusCode {
    guard let entry = service.methods.first(where: { $0.method == method }) else { return .unimplemented }
    let context = ServerContext(
        method: MethodDescriptor(service: service.serviceName, method: method, kind: entry.handler.kind),
        metadata: metadata)
    do {
        switch entry.handler {
        case .inlineUnary(let body): _ = try body([], context)
        case .unary(let body): _ = try await body([], context)
        case .serverStreaming(let body): try await body([], context, Discard())
        case .clientStreaming(let body): _ = try await body(NoRequests(), context)
        case .bidirectionalStreaming(let body): try await body(NoRequests(), Discard(), context)
        }
        return .ok
    } catch let error as RPCError {
        return error.code
    } catch {
        return .unknown
    }
}

private func bearer(_ token: String) -> Metadata { Metadata([("authorization", "Bearer \(token)")]) }

@Suite("Authentication of RPC handlers")
struct SecurityAuthenticatorTests {
    static let methods = ["Inline", "Unary", "ServerStreaming", "ClientStreaming", "Bidi"]
    let authenticator = Authenticator(
        tokens: BearerTokens([("client-token", .client), ("worker-token", .worker)]),
        exemptServices: ["grpc.reflection.v1.ServerReflection"])

    private func protected(_ name: String) -> any RPCService {
        authenticator.protect(AllKindsService(serviceName: name))
    }

    @Test("no token and an unknown token are UNAUTHENTICATED on every handler kind", arguments: methods)
    func unauthenticated(method: String) async {
        let service = protected("weft.v1.WorkflowService")
        #expect(await call(service, method, metadata: Metadata()) == .unauthenticated)
        #expect(await call(service, method, metadata: bearer("nope")) == .unauthenticated)
        #expect(await call(service, method, metadata: bearer("client-toke")) == .unauthenticated)
        #expect(await call(service, method, metadata: Metadata([("authorization", "Basic Y2xpZW50LXRva2Vu")]))
            == .unauthenticated)
    }

    @Test("a client token runs client services on every handler kind", arguments: methods)
    func clientToken(method: String) async {
        #expect(await call(protected("weft.v1.WorkflowService"), method, metadata: bearer("client-token")) == .ok)
    }

    @Test("a worker token runs only WorkerService", arguments: methods)
    func workerToken(method: String) async {
        #expect(await call(protected("weft.v1.WorkerService"), method, metadata: bearer("worker-token")) == .ok)
        #expect(
            await call(protected("weft.v1.WorkflowService"), method, metadata: bearer("worker-token"))
                == .permissionDenied)
    }

    @Test("a client token may not call WorkerService")
    func clientTokenOnWorkerService() async {
        #expect(
            await call(protected("weft.v1.WorkerService"), "Unary", metadata: bearer("client-token"))
                == .permissionDenied)
    }

    @Test("health always, and exempt services, run without a token")
    func exemptServices() async {
        #expect(await call(protected("grpc.health.v1.Health"), "Inline", metadata: Metadata()) == .ok)
        #expect(await call(protected("grpc.reflection.v1.ServerReflection"), "Bidi", metadata: Metadata()) == .ok)
        #expect(
            await call(protected("grpc.reflection.v1alpha.ServerReflection"), "Bidi", metadata: Metadata())
                == .unauthenticated)
    }

    @Test("the scheme is case-insensitive and the messages never echo the token")
    func messages() throws {
        try authenticator.authorize(
            service: "weft.v1.WorkflowService", metadata: Metadata([("authorization", "bearer  client-token")]))
        let missing = #expect(throws: RPCError.self) {
            try authenticator.authorize(service: "weft.v1.WorkflowService", metadata: Metadata())
        }
        #expect(missing?.message == "missing bearer token")
        let invalid = #expect(throws: RPCError.self) {
            try authenticator.authorize(service: "weft.v1.WorkflowService", metadata: bearer("s3cret-guess"))
        }
        #expect(invalid?.message == "invalid bearer token")
        let denied = #expect(throws: RPCError.self) {
            try authenticator.authorize(service: "weft.v1.WorkflowService", metadata: bearer("worker-token"))
        }
        #expect(denied?.code == .permissionDenied)
        #expect(denied?.message.contains("weft.v1.WorkflowService") == true)
        #expect(denied?.message.contains("worker-token") == false)
    }

    @Test("reload replaces the tokens, and a bad file keeps the old ones")
    func reload() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-tokens-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "client:first\n".write(toFile: path, atomically: true, encoding: .utf8)
        let authenticator = try Authenticator(
            settings: AuthSettings(tokensPath: path), reflectionServices: ["grpc.reflection.v1.ServerReflection"])
        #expect(!authenticator.exemptServices.contains("grpc.reflection.v1.ServerReflection"))
        try authenticator.authorize(service: "weft.v1.WorkflowService", metadata: bearer("first"))

        try "client:second\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try authenticator.reload() == 1)
        #expect(throws: RPCError.self) {
            try authenticator.authorize(service: "weft.v1.WorkflowService", metadata: bearer("first"))
        }
        try authenticator.authorize(service: "weft.v1.WorkflowService", metadata: bearer("second"))

        try "bogus line\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TokenFileError.self) { try authenticator.reload() }
        try authenticator.authorize(service: "weft.v1.WorkflowService", metadata: bearer("second"))
    }

    @Test("the reflection exemption follows the settings")
    func reflectionExemption() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-tokens-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "worker:w\n".write(toFile: path, atomically: true, encoding: .utf8)
        let authenticator = try Authenticator(
            settings: AuthSettings(tokensPath: path, exemptReflection: true),
            reflectionServices: ["grpc.reflection.v1.ServerReflection"])
        try authenticator.authorize(service: "grpc.reflection.v1.ServerReflection", metadata: Metadata())
        try authenticator.authorize(service: "grpc.health.v1.Health", metadata: Metadata())
    }
}
