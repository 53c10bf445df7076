import Testing
@testable import WeftHTTP2
import WeftRPC
import WeftTestSupport

/// The server connection handler driven without sockets: the library's own client handler in a second
/// embedded channel, or hand-built frames. Each test does all channel work synchronously (embedded channels
/// must stay on the thread that made them) and only then awaits the call outcomes.
@Suite("Server connection over embedded channels")
struct ServerConnectionTests {
    /// Runs `body` on a fresh client/server pair and closes both channels afterwards.
    private func withPair<T>(
        _ services: [any RPCService] = [RawEchoService()],
        config: GRPCServerConfig = .defaults,
        _ body: (EmbeddedClientServerPair) throws -> T
    ) throws -> T {
        let pair = try EmbeddedClientServerPair(services: services, config: config)
        defer { pair.finish() }
        return try body(pair)
    }

    @Test("the server's SETTINGS is the first frame it writes, before the client says anything")
    func settingsFirst() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try server.takeOutput()
        let first = try #require(server.firstWrite)
        #expect(first.count >= 9)
        #expect(first[3] == HTTP2Frame.Kind.settings.rawValue)
        #expect(first[4] & HTTP2Frame.ack == 0)
        #expect(server.frames.first?.kind == .settings)
    }

    @Test("a unary call through the client handler returns the echo")
    func unaryEcho() async throws {
        let payload = Array("hello, weft".utf8)
        let (stream, frames) = try withPair { pair in
            (try pair.call(RawEchoService.path("Echo"), payload), pair.server.frames)
        }
        let outcome = await CallOutcome(stream)
        #expect(outcome.error == nil)
        #expect(outcome.messages == [payload])
        // Response shape: HEADERS, DATA without END_STREAM, trailers HEADERS with END_STREAM.
        let streamFrames = frames.filter { $0.streamID == 1 }
        #expect(streamFrames.map(\.kind) == [.headers, .data, .headers])
        #expect(streamFrames.filter { $0.kind == .data }.allSatisfy { !$0.has(flag: HTTP2Frame.endStream) })
        #expect(streamFrames.last?.has(flag: HTTP2Frame.endStream) == true)
    }

    @Test("empty and large requests echo too, and several calls share one connection")
    func severalCalls() async throws {
        let large = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let streams = try withPair { pair in
            [
                try pair.call(RawEchoService.path("Echo"), []), try pair.call(RawEchoService.path("Echo"), large),
                try pair.call(RawEchoService.path("Echo"), [42]),
            ]
        }
        var outcomes: [CallOutcome] = []
        for stream in streams { outcomes.append(await CallOutcome(stream)) }
        #expect(outcomes.map(\.messages) == [[[]], [large], [[42]]])
        #expect(outcomes.allSatisfy { $0.error == nil })
    }

    @Test("an unknown method fails with UNIMPLEMENTED in one Trailers-Only HEADERS frame")
    func unknownMethod() async throws {
        let (stream, frames) = try withPair { pair in
            (try pair.call(RawEchoService.path("Nope"), [1]), pair.server.frames)
        }
        let error = try #require(await CallOutcome(stream).error)
        #expect(error.code == .unimplemented)
        #expect(error.message == "unknown method Nope for service \(RawEchoService.name)")
        let streamFrames = frames.filter { $0.streamID == 1 && $0.kind != .rstStream }
        #expect(streamFrames.count == 1)
        #expect(streamFrames.first?.kind == .headers)
        #expect(streamFrames.first?.flags == HTTP2Frame.endStream | HTTP2Frame.endHeaders)
    }

    @Test("an unknown service fails with UNIMPLEMENTED naming the service")
    func unknownService() async throws {
        let stream = try withPair { try $0.call("/no.such.Service/Echo", []) }
        let error = try #require(await CallOutcome(stream).error)
        #expect(error.code == .unimplemented)
        #expect(error.message == "unknown service no.such.Service")
    }

    @Test("a handler's RPCError reaches the client with its code and message exactly")
    func handlerError() async throws {
        let stream = try withPair { try $0.call(RawEchoService.path("Fail"), []) }
        let error = try #require(await CallOutcome(stream).error)
        #expect(error.code == .notFound)
        #expect(error.message == "x\ny")
    }

    @Test("the interop status message with whitespace and non-BMP characters survives the trip")
    func specialStatusMessage() async throws {
        let message = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
        let service = RawEchoService(failure: RPCError(code: .unknown, message: message))
        let stream = try withPair([service]) { try $0.call(RawEchoService.path("Fail"), []) }
        let error = try #require(await CallOutcome(stream).error)
        #expect(error.code == .unknown)
        #expect(error.message == message)
    }

    @Test("an error that is not an RPCError reaches the client as UNKNOWN without its text")
    func handlerCrash() async throws {
        let stream = try withPair { try $0.call(RawEchoService.path("Crash"), []) }
        let error = try #require(await CallOutcome(stream).error)
        #expect(error.code == .unknown)
        #expect(!error.message.contains("secret"))
    }

    @Test("a request over the receive limit fails with RESOURCE_EXHAUSTED naming both sizes")
    func tooLarge() async throws {
        var config = GRPCServerConfig()
        config.maxReceiveMessageSize = 1024
        let stream = try withPair(config: config) {
            try $0.call(RawEchoService.path("Echo"), Array(repeating: 1, count: 2000))
        }
        let error = try #require(await CallOutcome(stream).error)
        #expect(error.code == .resourceExhausted)
        #expect(error.message == "received message larger than max (2000 vs. 1024)")
    }

    @Test("custom and -bin metadata reach the handler; -bin values are decoded")
    func metadata() async throws {
        var options = CallOptions()
        options.metadata.add("x-user", "Alice")
        options.metadata.add("x-data-bin", bytes: [0, 1, 2, 0xFF])
        let stream = try withPair { try $0.call(RawEchoService.path("Metadata"), [], options: options) }
        let outcome = await CallOutcome(stream)
        #expect(outcome.error == nil)
        let lines = String(decoding: try #require(outcome.messages.first), as: UTF8.self).split(separator: "\n")
        #expect(lines.contains("x-user=Alice"))
        #expect(lines.contains("x-data-bin=AAEC/w"))
        #expect(!lines.contains { $0.hasPrefix("te=") || $0.hasPrefix("grpc-") || $0.hasPrefix("content-type=") })
    }

    @Test("an already expired grpc-timeout (0n) fails with DEADLINE_EXCEEDED")
    func expiredDeadline() async throws {
        let stream = try withPair {
            try $0.call(RawEchoService.path("Echo"), [], options: CallOptions(timeout: .zero))
        }
        let error = try #require(await CallOutcome(stream).error)
        #expect(error.code == .deadlineExceeded)
    }

    @Test("request headers over the list limit fail with RESOURCE_EXHAUSTED and the connection keeps serving")
    func oversizedHeaders() async throws {
        var options = CallOptions()
        options.metadata.add("x-big", String(repeating: "a", count: 20 * 1024))
        let (big, next) = try withPair { pair in
            (
                try pair.call(RawEchoService.path("Echo"), [1], options: options),
                try pair.call(RawEchoService.path("Echo"), [2])
            )
        }
        let error = try #require(await CallOutcome(big).error)
        #expect(error.code == .resourceExhausted)
        #expect(error.message.contains("16384"))
        let outcome = await CallOutcome(next)
        #expect(outcome.error == nil)
        #expect(outcome.messages == [[2]])
    }

    // MARK: Hand-built frames

    private func openConnection(_ server: EmbeddedServer) throws {
        try server.receive(HTTP2Frame.clientPreface + HTTP2Frame.settings().bytes)
        try server.receive(HTTP2Frame.settingsAck.bytes)
    }

    @Test("hand-built frames: an echo is HEADERS, DATA with the framed echo, then trailers ending the stream")
    func handBuiltEcho() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try openConnection(server)
        let request = HTTP2Frame.headers(
            streamID: 1,
            fields: HTTP2Frame.grpcRequestFields(path: RawEchoService.path("Echo"))
        )
        // The 5-byte prefix split across two DATA frames, END_STREAM on the second.
        let framed = grpcFramed([1, 2, 3])
        try server.receive(
            request.bytes + HTTP2Frame.data(streamID: 1, Array(framed[..<3])).bytes
                + HTTP2Frame.data(streamID: 1, Array(framed[3...]), endStream: true).bytes
        )
        try server.takeOutput()
        let frames = server.frames.filter { $0.streamID == 1 }
        #expect(frames.map(\.kind) == [.headers, .data, .headers])
        #expect(frames.first?.flags == HTTP2Frame.endHeaders)
        #expect(frames.first { $0.kind == .data }?.payload == framed)
        #expect(frames.first { $0.kind == .data }?.has(flag: HTTP2Frame.endStream) == false)
        #expect(frames.last?.flags == HTTP2Frame.endStream | HTTP2Frame.endHeaders)
        #expect(server.channel.isActive)
    }

    @Test("hand-built frames: END_STREAM on the HEADERS (no request message) is answered, not ignored")
    func handBuiltNoMessage() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try openConnection(server)
        try server.receive(
            HTTP2Frame.headers(
                streamID: 1,
                fields: HTTP2Frame.grpcRequestFields(path: RawEchoService.path("Echo")),
                endStream: true
            ).bytes
        )
        try server.takeOutput()
        let frames = server.frames.filter { $0.streamID == 1 }
        #expect(frames.count == 1)
        #expect(frames.first?.kind == .headers)
        #expect(frames.first?.flags == HTTP2Frame.endStream | HTTP2Frame.endHeaders)
    }

    @Test("hand-built frames: a GET is refused with one Trailers-Only HEADERS frame and the connection stays up")
    func handBuiltGet() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try openConnection(server)
        var fields = HTTP2Frame.grpcRequestFields(path: RawEchoService.path("Echo"))
        fields[0] = (":method", "GET")
        try server.receive(HTTP2Frame.headers(streamID: 1, fields: fields, endStream: true).bytes)
        try server.takeOutput()
        let frames = server.frames.filter { $0.streamID == 1 }
        #expect(frames.map(\.kind) == [.headers])
        #expect(frames.first?.flags == HTTP2Frame.endStream | HTTP2Frame.endHeaders)
        #expect(server.channel.isActive)
    }

    @Test("rapid reset: 2000 × (HEADERS + RST_STREAM) makes the server send GOAWAY and close the connection")
    func rapidReset() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try openConnection(server)
        let fields = HTTP2Frame.grpcRequestFields(path: RawEchoService.path("Echo"))
        var sent = 0
        for index in 0..<2000 where server.channel.isActive {
            let id = UInt32(2 * index + 1)
            try server.receive(
                HTTP2Frame.headers(streamID: id, fields: fields).bytes + HTTP2Frame.rstStream(streamID: id).bytes
            )
            sent += 1
        }
        try server.takeOutput()
        let goaway = try #require(server.frames.first { $0.kind == .goaway })
        #expect(goaway.errorCode != HTTP2Frame.noError)
        #expect(!server.channel.isActive)
        #expect(sent > 1000)
        #expect(sent < 2000)
    }

    @Test("rapid reset in a single read: GOAWAY is sent and the connection closes without further input")
    func rapidResetOneRead() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try openConnection(server)
        let fields = HTTP2Frame.grpcRequestFields(path: RawEchoService.path("Echo"))
        var burst: [UInt8] = []
        for index in 0..<2000 {
            let id = UInt32(2 * index + 1)
            burst +=
                HTTP2Frame.headers(streamID: id, fields: fields).bytes + HTTP2Frame.rstStream(streamID: id).bytes
        }
        try server.receive(burst)
        try server.takeOutput()
        #expect(server.frames.contains { $0.kind == .goaway })
        #expect(!server.channel.isActive)
    }

    @Test("a few hundred resets stay under the limit and the connection keeps serving")
    func resetsUnderLimit() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try openConnection(server)
        let fields = HTTP2Frame.grpcRequestFields(path: RawEchoService.path("Echo"))
        for index in 0..<500 {
            let id = UInt32(2 * index + 1)
            try server.receive(
                HTTP2Frame.headers(streamID: id, fields: fields).bytes + HTTP2Frame.rstStream(streamID: id).bytes
            )
        }
        try server.receive(
            HTTP2Frame.headers(streamID: 1001, fields: fields).bytes
                + HTTP2Frame.data(streamID: 1001, grpcFramed([7]), endStream: true).bytes
        )
        try server.takeOutput()
        #expect(!server.frames.contains { $0.kind == .goaway })
        #expect(server.channel.isActive)
        #expect(server.frames.first { $0.kind == .data && $0.streamID == 1001 }?.payload == grpcFramed([7]))
    }
}
