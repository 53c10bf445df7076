import Testing
import WeftMessages
import WeftRPC
import WeftServer
import WeftTestSupport

private typealias SimpleRequest = Weft_Testing_V1_SimpleRequest
private typealias SimpleResponse = Weft_Testing_V1_SimpleResponse

@Suite("weft.testing.v1.TestService")
struct TestServiceTests {
    let service = TestService()

    private func simple(
        payload: [UInt8] = [],
        responseSize: UInt32 = 0,
        status: (Int32, String)? = nil,
        sleepMs: UInt32 = 0
    ) -> SimpleRequest {
        var request = SimpleRequest()
        request.payload = payload
        request.responseSize = responseSize
        request.sleepMs = sleepMs
        if let (code, message) = status {
            var echo = Weft_Testing_V1_EchoStatus()
            echo.code = code
            echo.message = message
            request.responseStatus = echo
        }
        return request
    }

    private func output(count: UInt32, size: UInt32, intervalUs: UInt32 = 0) -> Weft_Testing_V1_StreamingOutputRequest {
        var request = Weft_Testing_V1_StreamingOutputRequest()
        request.count = count
        request.size = size
        request.intervalUs = intervalUs
        return request
    }

    @Test("EmptyCall answers an empty message inline")
    func emptyCall() async throws {
        guard case .inlineUnary = try service.handler(for: "EmptyCall") else {
            Issue.record("EmptyCall should be inline")
            return
        }
        let response = try await service.callUnary("EmptyCall", Weft_Testing_V1_Empty(), as: Weft_Testing_V1_Empty.self)
        #expect(response.wireBytes().isEmpty)
    }

    @Test("UnaryCall echoes the payload, or answers response_size zero bytes")
    func unaryEcho() async throws {
        let echoed = try await service.callUnary("UnaryCall", simple(payload: [1, 2, 3]), as: SimpleResponse.self)
        #expect(echoed.payload == [1, 2, 3])
        let sized = try await service.callUnary(
            "UnaryCall",
            simple(payload: [9], responseSize: 5),
            as: SimpleResponse.self
        )
        #expect(sized.payload == [0, 0, 0, 0, 0])
    }

    @Test("UnaryCall fails with the requested status and exactly the requested message")
    func unaryStatus() async throws {
        let message = "bad thing: 100% ✗ \"quoted\"\nsecond line"
        let error = await #expect(throws: RPCError.self) {
            try await service.callUnary("UnaryCall", simple(status: (9, message)), as: SimpleResponse.self)
        }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message == message)
        let zero = try await service.callUnary(
            "UnaryCall",
            simple(payload: [7], status: (0, "ignored")),
            as: SimpleResponse.self
        )
        #expect(zero.payload == [7])
    }

    @Test("UnaryCall sleeps sleep_ms before answering")
    func unarySleeps() async throws {
        let start = ContinuousClock.now
        _ = try await service.callUnary("UnaryCall", simple(sleepMs: 30), as: SimpleResponse.self)
        #expect(ContinuousClock.now - start >= .milliseconds(30))
    }

    @Test("UnaryCall's sleep ends at once when the call is cancelled")
    func unarySleepCancelled() async throws {
        let service = self.service
        let request = simple(sleepMs: 60_000)
        let start = ContinuousClock.now
        let call = Task { try await service.callUnary("UnaryCall", request, as: SimpleResponse.self) }
        try await Task.sleep(for: .milliseconds(20))
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test(
        "Request values over their bounds fail with INVALID_ARGUMENT naming the field",
        arguments: ["sleep_ms", "response_size", "count", "size", "interval_us"]
    )
    func bounds(field: String) async throws {
        let error = await #expect(throws: RPCError.self) {
            switch field {
            case "sleep_ms":
                _ = try await service.callUnary("UnaryCall", simple(sleepMs: 60_001), as: SimpleResponse.self)
            case "response_size":
                _ = try await service.callUnary(
                    "UnaryCall",
                    simple(responseSize: 4 * 1024 * 1024 + 1),
                    as: SimpleResponse.self
                )
            case "count":
                try await service.callServerStreaming(
                    "StreamingOutputCall",
                    output(count: 100_000_001, size: 0),
                    responses: InMemoryMessageSink()
                )
            case "size":
                try await service.callServerStreaming(
                    "StreamingOutputCall",
                    output(count: 1, size: 4 * 1024 * 1024 + 1),
                    responses: InMemoryMessageSink()
                )
            default:
                try await service.callServerStreaming(
                    "StreamingOutputCall",
                    output(count: 2, size: 1, intervalUs: 60_000_001),
                    responses: InMemoryMessageSink()
                )
            }
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix(field + " ") == true)
    }

    @Test("Values at their bounds are accepted")
    func atBounds() async throws {
        let sized = try await service.callUnary(
            "UnaryCall",
            simple(responseSize: 4 * 1024 * 1024),
            as: SimpleResponse.self
        )
        #expect(sized.payload.count == 4 * 1024 * 1024)
        let sink = InMemoryMessageSink()
        try await service.callServerStreaming(
            "StreamingOutputCall",
            output(count: 1, size: 4 * 1024 * 1024),
            responses: sink
        )
        #expect(try sink.decoded(as: SimpleResponse.self).map(\.payload.count) == [4 * 1024 * 1024])
    }

    @Test("StreamingOutputCall sends count messages of size zero bytes, then ends OK")
    func streamingOutput() async throws {
        let sink = InMemoryMessageSink()
        try await service.callServerStreaming("StreamingOutputCall", output(count: 5, size: 3), responses: sink)
        let responses = try sink.decoded(as: SimpleResponse.self)
        #expect(responses.count == 5)
        #expect(responses.allSatisfy { $0.payload == [0, 0, 0] })

        let empty = InMemoryMessageSink()
        try await service.callServerStreaming("StreamingOutputCall", output(count: 0, size: 3), responses: empty)
        #expect(empty.messages.isEmpty)
    }

    @Test("StreamingOutputCall ends with response_status after its messages")
    func streamingOutputStatus() async throws {
        var request = output(count: 2, size: 1)
        var status = Weft_Testing_V1_EchoStatus()
        status.code = 8
        status.message = "enough"
        request.responseStatus = status
        let sink = InMemoryMessageSink()
        let error = await #expect(throws: RPCError.self) {
            try await service.callServerStreaming("StreamingOutputCall", request, responses: sink)
        }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message == "enough")
        #expect(sink.messages.count == 2)
    }

    @Test("StreamingOutputCall waits interval_us between messages and stops when cancelled")
    func streamingOutputInterval() async throws {
        let timed = InMemoryMessageSink()
        let start = ContinuousClock.now
        try await service.callServerStreaming(
            "StreamingOutputCall",
            output(count: 3, size: 1, intervalUs: 10_000),
            responses: timed
        )
        #expect(ContinuousClock.now - start >= .milliseconds(20))
        #expect(timed.messages.count == 3)

        let service = self.service
        let sink = InMemoryMessageSink()
        let request = output(count: 1_000, size: 1, intervalUs: 50_000_000)
        let call = Task { try await service.callServerStreaming("StreamingOutputCall", request, responses: sink) }
        _ = try await withTimeout(.seconds(10), "the first message") { try await sink.next() }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(sink.messages.count == 1)
    }

    @Test("StreamingOutputCall stops when the stream is gone")
    func streamingOutputClosed() async throws {
        let sink = InMemoryMessageSink()
        sink.close()
        let error = await #expect(throws: RPCError.self) {
            try await service.callServerStreaming("StreamingOutputCall", output(count: 10, size: 1), responses: sink)
        }
        #expect(error?.code == .cancelled)
    }

    @Test("StreamingInputCall sums the payload sizes and counts the messages")
    func streamingInput() async throws {
        let requests = InMemoryMessageSource([
            simple(payload: [1, 2]), simple(), simple(payload: [UInt8](repeating: 7, count: 1000)),
        ])
        let response = try await service.callClientStreaming(
            "StreamingInputCall",
            requests: requests,
            as: Weft_Testing_V1_StreamingInputResponse.self
        )
        #expect(response.aggregatedPayloadSize == 1002)
        #expect(response.messageCount == 3)
    }

    @Test("FullDuplexCall answers each request as it arrives and ends OK when the client half-closes")
    func fullDuplex() async throws {
        let service = self.service
        let requests = InMemoryMessageSource()
        let responses = InMemoryMessageSink()
        let call = Task {
            try await service.callBidirectional("FullDuplexCall", requests: requests, responses: responses)
        }

        requests.send(simple(payload: [1]))
        #expect(try await withTimeout { try await responses.next(as: SimpleResponse.self) }.payload == [1])
        requests.send(simple(responseSize: 2, sleepMs: 5))
        #expect(try await withTimeout { try await responses.next(as: SimpleResponse.self) }.payload == [0, 0])
        requests.finish()
        try await withTimeout { try await call.value }
    }

    @Test("FullDuplexCall ends with a request's response_status")
    func fullDuplexStatus() async throws {
        let requests = InMemoryMessageSource([simple(payload: [1]), simple(status: (5, "gone")), simple(payload: [2])])
        let responses = InMemoryMessageSink()
        let error = await #expect(throws: RPCError.self) {
            try await service.callBidirectional("FullDuplexCall", requests: requests, responses: responses)
        }
        #expect(error?.code == .notFound)
        #expect(error?.message == "gone")
        #expect(responses.messages.count == 1)
    }
}
