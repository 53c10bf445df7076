import Foundation
import Testing
import WeftHTTP2
import WeftMessages
import WeftRPC
import WeftServer
import WeftTestSupport

/// Real calls over loopback sockets: the Swift client against the nghttp2 server with the real services.
@Suite("End to end over 127.0.0.1")
struct ServerEndToEndTests {
    static let unaryCall = MethodDescriptor(service: TestService.name, method: "UnaryCall", kind: .unary)
    static let streamingOutput = MethodDescriptor(service: TestService.name, method: "StreamingOutputCall", kind: .serverStreaming)
    static let healthCheck = MethodDescriptor(service: HealthService.name, method: "Check", kind: .unary)

    func services() -> [any RPCService] {
        [HealthService(registry: HealthRegistry()), TestService()]
    }

    @Test("a unary call echoes its payload, and an empty message round-trips")
    func unaryEcho() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            var request = Weft_Testing_V1_SimpleRequest()
            request.payload = Array("hello".utf8)
            let response = try await client.unary(Self.unaryCall, request, as: Weft_Testing_V1_SimpleResponse.self)
            #expect(response.payload == Array("hello".utf8))
            let empty = try await client.unary(
                MethodDescriptor(service: TestService.name, method: "EmptyCall", kind: .unary), Weft_Testing_V1_Empty(),
                as: Weft_Testing_V1_Empty.self)
            #expect(empty == Weft_Testing_V1_Empty())
        }
    }

    @Test("health Check answers SERVING for the server, NOT_FOUND for an unknown name")
    func health() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            let ok = try await client.unary(
                Self.healthCheck, Grpc_Health_V1_HealthCheckRequest(), as: Grpc_Health_V1_HealthCheckResponse.self)
            #expect(ok.status == .serving)
            var unknown = Grpc_Health_V1_HealthCheckRequest()
            unknown.service = "nope"
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(Self.healthCheck, unknown, as: Grpc_Health_V1_HealthCheckResponse.self)
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test("a status message with control characters and non-ASCII text arrives exactly")
    func statusMessage() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            let text = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
            var request = Weft_Testing_V1_SimpleRequest()
            var status = Weft_Testing_V1_EchoStatus()
            status.code = 9
            status.message = text
            request.responseStatus = status
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(Self.unaryCall, request, as: Weft_Testing_V1_SimpleResponse.self)
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message == text)
        }
    }

    @Test("an unknown method is UNIMPLEMENTED and names the method; the connection keeps working")
    func unknownMethod() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: "/weft.testing.v1.TestService/Nope", request: [], options: CallOptions())
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains("Nope") == true)
            let ok = try await client.unary(
                Self.healthCheck, Grpc_Health_V1_HealthCheckRequest(), as: Grpc_Health_V1_HealthCheckResponse.self)
            #expect(ok.status == .serving)
        }
    }

    @Test("a request one byte over the limit is RESOURCE_EXHAUSTED naming both sizes; the next call succeeds")
    func messageLimit() async throws {
        var config = GRPCServerConfig.defaults
        config.maxReceiveMessageSize = 64 * 1024
        try await withTestServer(services: services(), config: config) { client, _, _ in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(
                    path: "/weft.testing.v1.TestService/UnaryCall", request: [UInt8](repeating: 0, count: 64 * 1024 + 1),
                    options: CallOptions())
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.message.contains("65537 vs. 65536") == true)
            var request = Weft_Testing_V1_SimpleRequest()
            request.payload = [UInt8](repeating: 7, count: 60 * 1024)
            let response = try await client.unary(Self.unaryCall, request, as: Weft_Testing_V1_SimpleResponse.self)
            #expect(response.payload.count == 60 * 1024)
        }
    }

    @Test("a server stream delivers every message in order and ends OK")
    func serverStreaming() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            var request = Weft_Testing_V1_StreamingOutputRequest()
            request.count = 10_000
            request.size = 64
            var count = 0
            for try await message in client.serverStreaming(
                Self.streamingOutput, request, as: Weft_Testing_V1_SimpleResponse.self)
            {
                #expect(message.payload.count == 64)
                count += 1
            }
            #expect(count == 10_000)
        }
    }

    @Test("a call past its deadline fails with DEADLINE_EXCEEDED promptly")
    func deadline() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            var request = Weft_Testing_V1_SimpleRequest()
            request.sleepMs = 5_000
            let start = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(
                    Self.unaryCall, request, as: Weft_Testing_V1_SimpleResponse.self,
                    options: CallOptions(timeout: .milliseconds(200)))
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    @Test("cancelling the calling task cancels the call, and the connection serves the next one")
    func cancellation() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            var request = Weft_Testing_V1_SimpleRequest()
            request.sleepMs = 10_000
            let call = Task {
                try await client.unary(Self.unaryCall, request, as: Weft_Testing_V1_SimpleResponse.self)
            }
            try await Task.sleep(for: .milliseconds(100))
            call.cancel()
            let error = await #expect(throws: RPCError.self) { _ = try await call.value }
            #expect(error?.code == .cancelled)
            let ok = try await client.unary(
                Self.healthCheck, Grpc_Health_V1_HealthCheckRequest(), as: Grpc_Health_V1_HealthCheckResponse.self)
            #expect(ok.status == .serving)
        }
    }

    @Test("a gzip-compressed request is accepted")
    func gzipRequest() async throws {
        try await withTestServer(services: services()) { client, _, _ in
            var request = Weft_Testing_V1_SimpleRequest()
            request.payload = [UInt8](repeating: 42, count: 100_000)
            let response = try await client.unary(
                Self.unaryCall, request, as: Weft_Testing_V1_SimpleResponse.self,
                options: CallOptions(compressRequest: true))
            #expect(response.payload == request.payload)
        }
    }

    @Test("drain lets an in-flight stream finish, then the server has no connections left")
    func drain() async throws {
        try await withTestServer(services: services()) { client, server, _ in
            var request = Weft_Testing_V1_StreamingOutputRequest()
            request.count = 20
            request.size = 8
            request.intervalUs = 20_000
            let stream = client.serverStreaming(Self.streamingOutput, request, as: Weft_Testing_V1_SimpleResponse.self)
            var iterator = stream.makeAsyncIterator()
            _ = try await iterator.next()
            async let drained: Void = server.drain(grace: .seconds(10))
            var received = 1
            while try await iterator.next() != nil { received += 1 }
            await drained
            #expect(received == 20)
            #expect(server.connectionCount == 0)
        }
    }
}
