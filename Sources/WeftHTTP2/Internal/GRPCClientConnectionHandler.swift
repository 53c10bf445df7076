import NIOCore
internal import WeftRPC

/// The client side of one HTTP/2 connection: an nghttp2 client session on the channel's event loop.
final class GRPCClientConnectionHandler: HTTP2SessionDelegate, NGHTTP2ChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let authority: String
    private let maxMessageSize: Int
    private(set) var session: NGHTTP2Session!
    private var context: ChannelHandlerContext?
    private var calls: [Int32: ClientCall] = [:]
    private let output = SessionOutput()
    private var inRead = false
    private var closedError: RPCError?

    init(authority: String, maxMessageSize: Int) {
        self.authority = authority
        self.maxMessageSize = maxMessageSize
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        var settings = HTTP2SessionSettings()
        settings.maxHeaderListSize = 64 * 1024
        session = NGHTTP2Session(role: .client, settings: settings, delegate: self)
        if context.channel.isActive { flush() }
    }

    func channelActive(context: ChannelHandlerContext) {
        flush()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        inRead = true
        defer { inRead = false }
        if let failure = feed(buffer) {
            failAll(RPCError(code: .internal, message: "HTTP/2 protocol error from the server: \(failure)"))
            flush()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RPCError(code: .unavailable, message: "the connection was closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RPCError(code: .unavailable, message: "connection error: \(error)", cause: error))
        context.close(promise: nil)
    }

    private func failAll(_ error: RPCError) {
        if closedError == nil { closedError = error }
        let pending = calls.values
        calls.removeAll()
        for call in pending { call.complete(error: error) }
    }

    func flush() {
        guard let context else { return }
        if !output.flush(session, to: context) {
            failAll(RPCError(code: .internal, message: "the HTTP/2 session failed"))
            context.close(promise: nil)
        }
    }

    private func flushSoon() {
        if !inRead { flush() }
    }

    // MARK: Calls (on the loop)

    /// Starts a call; its outcome goes to `sink`.
    func start(path: String, request: [UInt8], options: CallOptions, sink: ClientCallSink) -> Int32? {
        if let closedError {
            ClientCall(body: [], maxMessageSize: maxMessageSize, sink: sink).complete(error: closedError)
            return nil
        }
        var framed: [UInt8] = []
        if options.compressRequest {
            appendFramed(MessageCompression.gzip.compress(request), compressed: true, to: &framed)
        } else {
            appendFramed(request, compressed: false, to: &framed)
        }
        let call = ClientCall(body: framed, maxMessageSize: maxMessageSize, sink: sink)
        var fields: [(name: String, value: String)] = [
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", authority),
            ("content-type", "application/grpc"), ("te", "trailers"), ("user-agent", "weft-swift/1"),
            ("grpc-accept-encoding", MessageCompression.acceptEncodingHeader),
        ]
        if options.compressRequest { fields.append(("grpc-encoding", "gzip")) }
        if let timeout = options.timeout { fields.append(("grpc-timeout", GRPCTimeout.encode(timeout))) }
        for entry in options.metadata {
            switch entry.value {
            case .string(let value): fields.append((entry.key, value))
            case .binary(let bytes): fields.append((entry.key, MetadataBase64.encode(bytes)))
            }
        }
        guard let id = session.submitRequest(headers: HeaderBlock(fields), withBody: true) else {
            call.complete(error: RPCError(code: .unavailable, message: "the connection cannot start new streams"))
            return nil
        }
        call.streamID = id
        calls[id] = call
        if let timeout = options.timeout, let context {
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            call.deadlineTimer = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.nanoseconds))) {
                bound.value.cancel(streamID: id, error: RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
            }
        }
        flushSoon()
        return id
    }

    /// Cancels a call: RST_STREAM(CANCEL) and the given error to the caller.
    func cancel(streamID: Int32, error: RPCError = RPCError(code: .cancelled, message: "the call was cancelled")) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        session.submitReset(streamID: streamID, code: .cancel)
        call.complete(error: error)
        flushSoon()
    }

    func close() {
        context?.close(promise: nil)
    }

    // MARK: nghttp2 events

    override func sessionBeginHeaders(streamID: Int32, isTrailers: Bool) {
        calls[streamID]?.inTrailers = isTrailers
    }

    override func sessionHeader(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        calls[streamID]?.header(name: name, value: value)
        return true
    }

    override func sessionHeadersComplete(streamID: Int32, isTrailers: Bool, endStream: Bool) {
        guard let call = calls[streamID] else { return }
        if endStream {
            calls[streamID] = nil
            if call.deframer.hasPartialMessage {
                call.complete(error: RPCError(code: .internal, message: "the response ended in the middle of a message"))
            } else {
                call.complete(error: nil)
            }
        }
    }

    override func sessionData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        session.consume(streamID: streamID, count: bytes.count)
        guard let call = calls[streamID] else { return }
        var failure: RPCError?
        do {
            try call.deframer.process(bytes) { message in
                if let error = call.received(message) { throw error }
            }
        } catch let error as RPCError {
            failure = error
        } catch MessageDeframer.Failure.tooLarge(let length, let limit) {
            failure = RPCError(code: .resourceExhausted, message: "received message larger than max (\(length) vs. \(limit))")
        } catch {
            failure = RPCError(code: .internal, message: "malformed response framing: \(error)")
        }
        if let failure { cancel(streamID: streamID, error: failure) }
    }

    override func sessionDataEndStream(streamID: Int32) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        call.complete(error: RPCError(code: .internal, message: "server closed the stream without sending trailers"))
    }

    override func sessionStreamClosed(streamID: Int32, errorCode: UInt32) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        let error: RPCError = switch HTTP2ErrorCode(rawValue: errorCode) {
        case .cancel: RPCError(code: .cancelled, message: "the server cancelled the stream")
        case .refusedStream: RPCError(code: .unavailable, message: "the server refused the stream")
        case .enhanceYourCalm: RPCError(code: .resourceExhausted, message: "the server said ENHANCE_YOUR_CALM")
        case .noError where call.grpcStatus != nil: RPCError(code: .internal, message: "stream closed")
        default: RPCError(code: .internal, message: "stream reset by the server (HTTP/2 error \(errorCode))")
        }
        call.complete(error: call.grpcStatus != nil ? nil : error)
    }

    override func sessionReadData(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        guard let call = calls[streamID] else { return .bytes(count: 0, end: true, trailers: nil) }
        return call.readBody(into: buffer)
    }

    override func sessionFrameSent(streamID: Int32, isHeaders: Bool, endStream: Bool) {}

    override func sessionPing(ack: Bool, payload: UInt64) {}

    override func sessionGoaway(lastStreamID: Int32, errorCode: UInt32) {
        // Calls the server did not take may be retried elsewhere: UNAVAILABLE.
        for (id, call) in calls where id > lastStreamID {
            calls[id] = nil
            call.complete(error: RPCError(code: .unavailable, message: "the server is going away (GOAWAY)"))
        }
        if errorCode != HTTP2ErrorCode.noError.rawValue {
            closedError = RPCError(code: .unavailable, message: "the server closed the connection (GOAWAY \(errorCode))")
        } else if lastStreamID != Int32.max {
            closedError = RPCError(code: .unavailable, message: "the server is shutting down")
        }
    }
}
