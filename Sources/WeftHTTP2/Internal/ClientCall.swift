import NIOCore
internal import WeftRPC

/// Where a client call's outcome goes: a unary continuation or a stream of messages. Completed exactly once.
enum ClientCallSink {
    case unary(CheckedContinuation<[UInt8], any Error>)
    case stream(AsyncThrowingStream<[UInt8], any Error>.Continuation)
}

/// One call on a client connection. Confined to the connection's event loop.
final class ClientCall {
    var streamID: Int32 = 0
    let sink: ClientCallSink
    var body: [UInt8]
    var bodyOffset = 0
    var deframer: MessageDeframer
    let maxMessageSize: Int
    var compression: MessageCompression = .identity
    var httpStatus = 0
    var grpcStatus: Int?
    var grpcMessage = ""
    var inTrailers = false
    var unaryResponse: [UInt8]?
    var messageCount = 0
    var completed = false
    var deadlineTimer: Scheduled<Void>?

    init(body: [UInt8], maxMessageSize: Int, sink: ClientCallSink) {
        self.body = body
        self.sink = sink
        self.maxMessageSize = maxMessageSize
        deframer = MessageDeframer(maxMessageSize: maxMessageSize)
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        let count = min(buffer.count, body.count - bodyOffset)
        if count > 0 {
            body.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + bodyOffset, byteCount: count)
            }
            bodyOffset += count
        }
        let end = bodyOffset == body.count
        if end { body = [] }
        return .bytes(count: count, end: end, trailers: nil)
    }

    func header(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if equals(name, ":status") {
            httpStatus = Int(String(decoding: value, as: UTF8.self)) ?? 0
        } else if equals(name, "grpc-status") {
            grpcStatus = Int(String(decoding: value, as: UTF8.self))
        } else if equals(name, "grpc-message") {
            grpcMessage = GRPCStatusMessage.decode(value)
        } else if equals(name, "grpc-encoding") {
            compression = MessageCompression(header: String(decoding: value, as: UTF8.self)) ?? .identity
        }
    }

    /// A received message; returns an error when the call must fail.
    func received(_ message: MessageDeframer.Message) -> RPCError? {
        var bytes = message.bytes
        if message.compressed {
            do {
                // Not `deframer.maxMessageSize`: this runs inside the deframer's own mutating call.
                bytes = try compression.decompress(bytes, limit: maxMessageSize)
            } catch {
                return RPCError(code: .internal, message: "failed to decompress the response: \(error)")
            }
        }
        messageCount += 1
        switch sink {
        case .unary:
            if unaryResponse != nil {
                return RPCError(code: .internal, message: "the server sent more than one response to a unary call")
            }
            unaryResponse = bytes
        case .stream(let continuation):
            continuation.yield(bytes)
        }
        return nil
    }

    /// Completes the call with the status the server sent, or `error`.
    func complete(error: RPCError?) {
        guard !completed else { return }
        completed = true
        deadlineTimer?.cancel()
        let outcome: RPCError? = error ?? statusError()
        switch sink {
        case .unary(let continuation):
            if let outcome {
                continuation.resume(throwing: outcome)
            } else if let response = unaryResponse {
                continuation.resume(returning: response)
            } else {
                continuation.resume(throwing: RPCError(code: .unimplemented, message: "the server sent no response message"))
            }
        case .stream(let continuation):
            if let outcome { continuation.finish(throwing: outcome) } else { continuation.finish() }
        }
    }

    private func statusError() -> RPCError? {
        if let grpcStatus {
            return grpcStatus == 0 ? nil : RPCError(code: StatusCode(rawValue: grpcStatus), message: grpcMessage)
        }
        // No grpc-status: map the HTTP status as grpc/grpc doc/http-grpc-status-mapping.md tells clients to.
        let code: StatusCode = switch httpStatus {
        case 400: .internal
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .unimplemented
        case 429, 502, 503, 504: .unavailable
        default: .unknown
        }
        return RPCError(code: code, message: "the response had no grpc-status (HTTP \(httpStatus))")
    }
}
