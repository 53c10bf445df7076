import Testing
import WeftRPC

@Suite("RequestStream and RPCWriter")
struct RPCStreamsTests {
    @Test("a request stream decodes each message in order and ends when the source does")
    func decodesInOrder() async throws {
        var received: [Blob] = []
        for try await message in RequestStream<Blob>(ListSource([[1], [], [2, 3]])) { received.append(message) }
        #expect(received == [Blob([1]), Blob([]), Blob([2, 3])])
    }

    @Test("an empty source gives an empty stream")
    func emptySource() async throws {
        var iterator = RequestStream<Blob>(ListSource([])).makeAsyncIterator()
        #expect(try await iterator.next() == nil)
    }

    @Test("a message that fails to decode throws INTERNAL after the good ones")
    func decodeFailure() async throws {
        var iterator = RequestStream<Blob>(ListSource([[1], [0xFF, 0]])).makeAsyncIterator()
        #expect(try await iterator.next() == Blob([1]))
        let error = await #expect(throws: RPCError.self) { try await iterator.next() }
        #expect(error?.code == .internal)
        #expect(error?.cause is Blob.Rejected)
    }

    @Test("an error from the source reaches the reader unchanged")
    func sourceFailure() async throws {
        let source = ListSource([[1]], failure: RPCError(code: .resourceExhausted, message: "too big"))
        var iterator = RequestStream<Blob>(source).makeAsyncIterator()
        #expect(try await iterator.next() == Blob([1]))
        let error = await #expect(throws: RPCError.self) { try await iterator.next() }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message == "too big")
    }

    @Test("a writer encodes each message into the sink, in order")
    func writerEncodes() async throws {
        let sink = RecordingSink()
        let writer = RPCWriter<Blob>(sink)
        try await writer.write(Blob([1, 2]))
        try await writer.write(Blob([]))
        try await writer.write(Blob([3]))
        #expect(sink.messages == [[1, 2], [], [3]])
    }

    @Test("a writer passes the sink's error through")
    func writerFailure() async throws {
        struct ClosedSink: RPCMessageSink {
            func write(_ message: [UInt8]) async throws { throw RPCError(code: .cancelled, message: "gone") }
        }
        let error = await #expect(throws: RPCError.self) { try await RPCWriter<Blob>(ClosedSink()).write(Blob([1])) }
        #expect(error?.code == .cancelled)
    }
}
