import WeftMessages
public import WeftRPC

/// `weft.testing.v1.TestService`: the four call kinds, chosen statuses and delays, for interop tests and the
/// transport benchmarks. Served only when the operator enables it.
///
/// Request values are bounded so a client cannot make the server allocate or wait without limit: a message of at
/// most ``Limits/maxSize`` bytes, at most ``Limits/maxCount`` streamed messages, sleeps of at most
/// ``Limits/maxSleepMilliseconds``. A value over its bound fails the call with INVALID_ARGUMENT naming the field.
public struct TestService: RPCService {
    /// The fully qualified service name.
    public static let name = "weft.testing.v1.TestService"

    /// Bounds on request values.
    public enum Limits {
        /// The most messages `StreamingOutputCall` sends.
        public static let maxCount: UInt32 = 100_000_000
        /// The largest payload a response may be asked to carry (`size`, `response_size`): 4 MiB.
        public static let maxSize: UInt32 = 4 * 1024 * 1024
        /// The longest `sleep_ms`: one minute.
        public static let maxSleepMilliseconds: UInt32 = 60_000
        /// The longest `interval_us` between streamed messages: one minute.
        public static let maxIntervalMicroseconds: UInt32 = 60_000_000
    }

    /// Creates the service.
    public init() {}

    public var serviceName: String { Self.name }

    public var methods: [(method: String, handler: RPCHandler)] {
        [
            ("EmptyCall", .inlineUnary { (_: Empty, _) in Empty() }),
            ("UnaryCall", .unary { (request: SimpleRequest, _) in try await Self.answer(request) }),
            ("StreamingOutputCall", .serverStreaming { bytes, _, sink in try await Self.streamingOutput(bytes, sink) }),
            (
                "StreamingInputCall",
                .clientStreaming { (requests: RequestStream<SimpleRequest>, _) in
                    try await Self.streamingInput(requests)
                }
            ),
            (
                "FullDuplexCall",
                .bidirectionalStreaming {
                    (requests: RequestStream<SimpleRequest>, responses: RPCWriter<SimpleResponse>, _) in
                    for try await request in requests {
                        try await responses.write(try await Self.answer(request))
                    }
                }
            ),
        ]
    }

    private typealias Empty = Weft_Testing_V1_Empty
    private typealias SimpleRequest = Weft_Testing_V1_SimpleRequest
    private typealias SimpleResponse = Weft_Testing_V1_SimpleResponse

    /// Validates, sleeps if asked, then fails with the requested status or echoes.
    private static func answer(_ request: SimpleRequest) async throws -> SimpleResponse {
        try check(request.responseSize, atMost: Limits.maxSize, "response_size")
        try check(request.sleepMs, atMost: Limits.maxSleepMilliseconds, "sleep_ms")
        if request.sleepMs > 0 {
            try await Task.sleep(for: .milliseconds(Int(request.sleepMs)))
        }
        try fail(with: request.responseStatus)
        var response = SimpleResponse()
        response.payload = request.responseSize > 0 ? zeros(request.responseSize) : request.payload
        return response
    }

    private static func streamingOutput(_ bytes: [UInt8], _ sink: any RPCMessageSink) async throws {
        let request: Weft_Testing_V1_StreamingOutputRequest
        do {
            request = try Weft_Testing_V1_StreamingOutputRequest(wireBytes: bytes)
        } catch {
            throw RPCError(code: .internal, message: "failed to parse request: \(error)", cause: error)
        }
        try check(request.count, atMost: Limits.maxCount, "count")
        try check(request.size, atMost: Limits.maxSize, "size")
        try check(request.intervalUs, atMost: Limits.maxIntervalMicroseconds, "interval_us")

        // Every message is the same, so encode it once: the benchmarks push millions of messages a second here.
        var response = SimpleResponse()
        response.payload = zeros(request.size)
        let encoded = response.wireBytes()
        let interval = Duration.microseconds(Int(request.intervalUs))
        for sent in 0..<request.count {
            if sent > 0, request.intervalUs > 0 {
                try await Task.sleep(for: interval)
            } else if Task.isCancelled {
                throw CancellationError()
            }
            try await sink.write(encoded)
        }
        try fail(with: request.responseStatus)
    }

    private static func streamingInput(
        _ requests: RequestStream<SimpleRequest>
    ) async throws -> Weft_Testing_V1_StreamingInputResponse {
        var response = Weft_Testing_V1_StreamingInputResponse()
        for try await request in requests {
            response.aggregatedPayloadSize += UInt64(request.payload.count)
            response.messageCount &+= 1
        }
        return response
    }

    private static func check(_ value: UInt32, atMost limit: UInt32, _ field: String) throws {
        guard value <= limit else {
            throw RPCError(code: .invalidArgument, message: "\(field) is \(value); the most allowed is \(limit)")
        }
    }

    /// Throws the requested status when its code is not OK; the message is sent exactly as given.
    private static func fail(with status: Weft_Testing_V1_EchoStatus?) throws {
        guard let status, status.code != 0 else { return }
        throw RPCError(code: StatusCode(rawValue: Int(status.code)), message: status.message)
    }

    private static func zeros(_ count: UInt32) -> [UInt8] {
        [UInt8](repeating: 0, count: Int(count))
    }
}
