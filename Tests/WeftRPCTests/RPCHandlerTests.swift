import Testing
import WeftRPC

@Suite("RPCHandler typed builders")
struct RPCHandlerTests {
    @Test("each builder reports its call kind")
    func kinds() {
        let inline: RPCHandler = .inlineUnary { (request: Blob, _) in request }
        let unary: RPCHandler = .unary { (request: Blob, _) async in request }
        let server: RPCHandler = .serverStreaming { (_: Blob, _, _: RPCWriter<Blob>) in }
        let client: RPCHandler = .clientStreaming { (_: RequestStream<Blob>, _) in Blob([]) }
        let bidi: RPCHandler = .bidirectionalStreaming { (_: RequestStream<Blob>, _: RPCWriter<Blob>, _) in }
        #expect(inline.kind == .unary)
        #expect(unary.kind == .unary)
        #expect(server.kind == .serverStreaming)
        #expect(client.kind == .clientStreaming)
        #expect(bidi.kind == .bidirectionalStreaming)
    }

    @Test("a typed inline unary handler decodes the request, calls the body and encodes the response")
    func inlineUnary() throws {
        let handler: RPCHandler = .inlineUnary { (request: Blob, context: ServerContext) in
            Blob(request.bytes.reversed() + Array(context.method.method.utf8))
        }
        guard case .inlineUnary(let body) = handler else {
            Issue.record("wrong case")
            return
        }
        #expect(try body([1, 2, 3], context()) == [3, 2, 1] + Array("Call".utf8))
    }

    @Test("a typed unary handler decodes, awaits the body and encodes")
    func unary() async throws {
        let handler: RPCHandler = .unary { (request: Blob, _) async throws in Blob(request.bytes + [9]) }
        guard case .unary(let body) = handler else {
            Issue.record("wrong case")
            return
        }
        #expect(try await body([7], context()) == [7, 9])
    }

    @Test("a request that fails to decode becomes INTERNAL and the body never runs")
    func decodeFailureIsInternal() async throws {
        let inline: RPCHandler = .inlineUnary { (_: Blob, _) -> Blob in
            Issue.record("body ran")
            return Blob([])
        }
        let unary: RPCHandler = .unary { (_: Blob, _) async -> Blob in
            Issue.record("body ran")
            return Blob([])
        }
        guard case .inlineUnary(let inlineBody) = inline, case .unary(let unaryBody) = unary else {
            Issue.record("wrong case")
            return
        }
        let error = try #require(throws: RPCError.self) { try inlineBody([0xFF, 1], context()) }
        #expect(error.code == .internal)
        #expect(error.message.contains("Blob"))
        #expect(error.cause is Blob.Rejected)
        let asyncError = await #expect(throws: RPCError.self) { try await unaryBody([0xFF], context()) }
        #expect(asyncError?.code == .internal)
    }

    @Test("an RPCError thrown by the body passes through unchanged")
    func bodyErrorPassesThrough() throws {
        let handler: RPCHandler = .inlineUnary { (_: Blob, _) -> Blob in
            throw RPCError(code: .notFound, message: "x")
        }
        guard case .inlineUnary(let body) = handler else { return }
        let error = try #require(throws: RPCError.self) { try body([], context()) }
        #expect(error.code == .notFound)
        #expect(error.message == "x")
    }

    @Test("a typed server-streaming handler decodes the request and writes encoded responses")
    func serverStreaming() async throws {
        let handler: RPCHandler = .serverStreaming { (request: Blob, _, responses: RPCWriter<Blob>) in
            for byte in request.bytes { try await responses.write(Blob([byte, byte])) }
        }
        guard case .serverStreaming(let body) = handler else { return }
        let sink = RecordingSink()
        try await body([1, 2, 3], context(.serverStreaming), sink)
        #expect(sink.messages == [[1, 1], [2, 2], [3, 3]])

        let error = await #expect(throws: RPCError.self) { try await body([0xFF], context(.serverStreaming), sink) }
        #expect(error?.code == .internal)
    }

    @Test("a typed client-streaming handler reads every request and encodes one response")
    func clientStreaming() async throws {
        let handler: RPCHandler = .clientStreaming { (requests: RequestStream<Blob>, _) in
            var all: [UInt8] = []
            for try await request in requests { all += request.bytes }
            return Blob(all)
        }
        guard case .clientStreaming(let body) = handler else { return }
        #expect(try await body(ListSource([[1], [], [2, 3]]), context(.clientStreaming)) == [1, 2, 3])
    }

    @Test("a typed bidirectional handler echoes each request as it arrives")
    func bidirectional() async throws {
        let handler: RPCHandler = .bidirectionalStreaming {
            (requests: RequestStream<Blob>, responses: RPCWriter<Blob>, _) in
            for try await request in requests { try await responses.write(request) }
        }
        guard case .bidirectionalStreaming(let body) = handler else { return }
        let sink = RecordingSink()
        try await body(ListSource([[4], [5, 6]]), sink, context(.bidirectionalStreaming))
        #expect(sink.messages == [[4], [5, 6]])
    }
}
