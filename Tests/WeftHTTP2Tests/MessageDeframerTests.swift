import Testing

@testable import WeftHTTP2

@Suite("MessageDeframer")
struct MessageDeframerTests {
    private typealias Message = MessageDeframer.Message

    /// Feeds `chunks` one `process` call each and returns every message completed.
    private func feed(_ deframer: inout MessageDeframer, _ chunks: [[UInt8]]) throws -> [Message] {
        var messages: [Message] = []
        for chunk in chunks {
            try chunk.withUnsafeBytes { bytes in
                try deframer.process(bytes) { messages.append($0) }
            }
        }
        return messages
    }

    private func feed(_ chunks: [[UInt8]], limit: Int = 1024) throws -> [Message] {
        var deframer = MessageDeframer(maxMessageSize: limit)
        return try feed(&deframer, chunks)
    }

    private func plain(_ bytes: [UInt8]) -> Message { Message(compressed: false, bytes: bytes) }

    @Test("grpcFramed writes flag, 4-byte big-endian length, then the payload")
    func framedLayout() {
        #expect(grpcFramed([0xAA, 0xBB]) == [0, 0, 0, 0, 2, 0xAA, 0xBB])
        #expect(grpcFramed([], compressed: true) == [1, 0, 0, 0, 0])
        let big = [UInt8](repeating: 7, count: 0x01_02_03)
        let framed = grpcFramed(big)
        #expect(Array(framed.prefix(5)) == [0, 0, 0x01, 0x02, 0x03])
        #expect(framed.count == 5 + big.count)
    }

    @Test("one message in one chunk")
    func oneChunk() throws {
        #expect(try feed([grpcFramed([1, 2, 3])]) == [plain([1, 2, 3])])
    }

    @Test("a 5-byte prefix split at every position across two chunks")
    func splitPrefix() throws {
        let framed = grpcFramed([9, 8, 7, 6])
        for cut in 1..<5 {
            #expect(
                try feed([Array(framed[..<cut]), Array(framed[cut...])]) == [plain([9, 8, 7, 6])],
                "cut at \(cut)"
            )
        }
        for cut in 0...framed.count {
            #expect(
                try feed([Array(framed[..<cut]), Array(framed[cut...])]) == [plain([9, 8, 7, 6])],
                "cut at \(cut)"
            )
        }
    }

    @Test("a message fed one byte at a time")
    func oneByteChunks() throws {
        let payload = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        let chunks = grpcFramed(payload).map { [$0] }
        #expect(try feed(chunks) == [plain(payload)])
    }

    @Test("many messages in one chunk, and a chunk that ends inside the next message")
    func manyInOneChunk() throws {
        let payloads: [[UInt8]] = [[1], [2, 2], [], [3, 3, 3], Array(repeating: 4, count: 100)]
        let stream = payloads.flatMap { grpcFramed($0) }
        #expect(try feed([stream]) == payloads.map(plain))
        #expect(try feed([Array(stream[..<20]), Array(stream[20...])]) == payloads.map(plain))
    }

    @Test("zero-length messages, one and several in a row, are delivered")
    func zeroLength() throws {
        #expect(try feed([grpcFramed([])]) == [plain([])])
        let three = grpcFramed([]) + grpcFramed([]) + grpcFramed([])
        #expect(try feed([three]) == [plain([]), plain([]), plain([])])
        #expect(try feed(three.map { [$0] }) == [plain([]), plain([]), plain([])])
        #expect(try feed([grpcFramed([]) + grpcFramed([5]) + grpcFramed([])]) == [plain([]), plain([5]), plain([])])
    }

    @Test("the compressed flag 1 is reported")
    func compressedFlag() throws {
        #expect(try feed([grpcFramed([1, 2], compressed: true)]) == [Message(compressed: true, bytes: [1, 2])])
        #expect(
            try feed([grpcFramed([1], compressed: true) + grpcFramed([2])])
                == [Message(compressed: true, bytes: [1]), plain([2])]
        )
    }

    @Test("a flag other than 0 or 1 is invalidFlag", arguments: [2, 0x80, 0xFF] as [UInt8])
    func invalidFlag(flag: UInt8) {
        #expect(throws: MessageDeframer.Failure.invalidFlag(flag)) {
            try feed([[flag, 0, 0, 0, 1, 0]])
        }
        #expect(throws: MessageDeframer.Failure.invalidFlag(flag)) {
            try feed([[flag], [0, 0, 0, 1]])
        }
    }

    @Test("a length over the limit is tooLarge as soon as the prefix is complete, before any payload")
    func tooLargeFromPrefix() {
        #expect(throws: MessageDeframer.Failure.tooLarge(length: 1025, limit: 1024)) {
            try feed([[0, 0, 0, 0x04, 0x01]], limit: 1024)
        }
        #expect(throws: MessageDeframer.Failure.tooLarge(length: Int(UInt32.max), limit: 4 * 1024 * 1024)) {
            try feed([[0, 0xFF, 0xFF], [0xFF, 0xFF]], limit: 4 * 1024 * 1024)
        }
    }

    @Test("a length exactly at the limit is accepted")
    func atLimit() throws {
        let payload = [UInt8](repeating: 1, count: 64)
        #expect(try feed([grpcFramed(payload)], limit: 64) == [plain(payload)])
    }

    @Test("hasPartialMessage is true mid-prefix and mid-payload, false between messages")
    func partialMessage() throws {
        var deframer = MessageDeframer(maxMessageSize: 1024)
        #expect(!deframer.hasPartialMessage)
        let framed = grpcFramed([1, 2, 3])
        _ = try feed(&deframer, [Array(framed[..<2])])
        #expect(deframer.hasPartialMessage)
        _ = try feed(&deframer, [Array(framed[2..<5])])
        #expect(deframer.hasPartialMessage)
        _ = try feed(&deframer, [Array(framed[5..<7])])
        #expect(deframer.hasPartialMessage)
        let done = try feed(&deframer, [Array(framed[7...])])
        #expect(done == [plain([1, 2, 3])])
        #expect(!deframer.hasPartialMessage)
        _ = try feed(&deframer, [grpcFramed([])])
        #expect(!deframer.hasPartialMessage)
    }

    @Test("an error thrown by the message callback stops processing and reaches the caller")
    func callbackError() {
        struct Stop: Error {}
        var deframer = MessageDeframer(maxMessageSize: 1024)
        var seen = 0
        let bytes = grpcFramed([1]) + grpcFramed([2])
        #expect(throws: Stop.self) {
            try bytes.withUnsafeBytes { raw in
                try deframer.process(raw) { _ in
                    seen += 1
                    throw Stop()
                }
            }
        }
        #expect(seen == 1)
    }
}
