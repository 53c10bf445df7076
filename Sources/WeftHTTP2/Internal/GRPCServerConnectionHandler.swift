import Logging
import NIOCore
internal import WeftRPC

/// Serves gRPC on one HTTP/2 connection: one nghttp2 server session, confined to the channel's event loop.
///
/// Bytes read are fed to nghttp2 at once; frames nghttp2 produces are gathered into one buffer and flushed
/// once per read burst (`channelReadComplete`) or once per event from a handler task. Inline unary handlers
/// (health checks) answer inside the read with no thread hop; every other handler runs in its own task and
/// hops back to the loop only to hand over output.
final class GRPCServerConnectionHandler: HTTP2SessionDelegate, NGHTTP2ChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Lifecycle { case active, notified, closing }

    private let router: ServiceRouter
    private let config: GRPCServerConfig
    private let logger: Logger
    private let registry: ConnectionRegistry
    private(set) var session: NGHTTP2Session!
    private var context: ChannelHandlerContext?
    private var streams: [Int32: ServerStream] = [:] {
        didSet { lastStream = nil }
    }
    /// The stream of the previous lookup: nghttp2 delivers a stream's header fields, data chunks and body reads
    /// in runs, so this saves a hash lookup per callback. Cleared whenever `streams` changes.
    private var lastStream: ServerStream?
    /// The `:path` of the previous request on this connection.
    private var lastPath: String?

    @inline(__always)
    private func stream(_ id: Int32) -> ServerStream? {
        if let lastStream, lastStream.id == id { return lastStream }
        let found = streams[id]
        lastStream = found
        return found
    }
    private let output = SessionOutput()
    private var inRead = false
    private var runningHandlers = 0
    private var lifecycle = Lifecycle.active
    private var peer = ""
    private var registrationID: Int?
    private var goawayTimer: Scheduled<Void>?
    /// The debug data of the final GOAWAY of the graceful sequence under way (`max_idle`, `max_age`; empty for
    /// a drain).
    private var goawayDebug = ""
    /// Idle, age and keepalive timers and the client ping policy; set once the connection is registered.
    private var keeper: ConnectionKeeper?
    /// The client's PINGs broke the ping policy during the current read.
    private var pingPolicyBroken = false
    /// `nil` when metrics are off: every hook below is then one nil check.
    private var metrics: ConnectionMetrics?

    init(router: ServiceRouter, config: GRPCServerConfig, logger: Logger, registry: ConnectionRegistry) {
        self.router = router
        self.config = config
        self.logger = logger
        self.registry = registry
        metrics = config.metrics.map { ConnectionMetrics(server: $0) }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session = NGHTTP2Session(role: .server, settings: config.sessionSettings, delegate: self)
        peer = context.channel.remoteAddress.map { "\($0)" } ?? ""
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard registrationID == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        registrationID = registry.add(
            eventLoop: context.eventLoop, limit: config.connections.maxConnections,
            shutdown: { bound.value.beginGracefulShutdown() }, forceClose: { bound.value.forceClose() })
        guard registrationID != nil else {
            refuseConnection(context: context)
            return
        }
        metrics?.server.connectionsOpen.increment()
        keeper = ConnectionKeeper(settings: config.connections, eventLoop: context.eventLoop, delegate: self)
        keeper?.start()
        // The server's SETTINGS must be the first frame on the wire (grpc-go clients wait for it).
        flush()
    }

    /// Over the connection cap: SETTINGS and GOAWAY (last-stream-id 0, nothing processed), then close once the
    /// client's first bytes are read (closing with unread input would reset the socket and lose the GOAWAY),
    /// or after the GOAWAY notice timeout.
    private func refuseConnection(context: ChannelHandlerContext) {
        logger.info(
            "refusing connection: \(config.connections.maxConnections) connections are open",
            metadata: ["peer": "\(peer)"])
        lifecycle = .closing
        metrics?.goaway(.connectionLimit)
        session.submitGoaway(lastStreamID: 0, code: .noError, debug: "connection_limit")
        _ = output.flush(session, to: context)
        let channel = context.channel
        goawayTimer = context.eventLoop.scheduleTask(in: .nanoseconds(config.goawayNoticeTimeout.nanoseconds)) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        keeper?.stop()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        keeper?.readSinceKeepalive = true
        inRead = true
        defer { inRead = false }
        if let error = feed(buffer) {
            if error.isBadClientMagic {
                logger.debug("closing connection: not HTTP/2", metadata: ["peer": "\(peer)"])
            } else {
                logger.info("closing connection: \(error)", metadata: ["peer": "\(peer)"])
                metrics?.goaway(error.isFlooded ? .flood : .protocol)
            }
            fatalSessionError(context: context)
            return
        }
        if pingPolicyBroken {
            terminate(.tooManyPings, code: .enhanceYourCalm)
            return
        }
        if !session.wantsRead && !session.wantsWrite {
            flush()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = RPCError(code: .cancelled, message: "the connection was closed")
        for stream in streams.values {
            metrics?.handled(stream: stream, code: .cancelled)
            abandon(stream, error: error)
        }
        metrics?.publish()
        streams.removeAll()
        goawayTimer?.cancel()
        keeper?.stop()
        if let registrationID {
            registry.remove(registrationID)
            metrics?.server.connectionsOpen.decrement()
        }
        registrationID = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error: \(error)", metadata: ["peer": "\(peer)"])
        context.close(promise: nil)
    }

    private func fatalSessionError(context: ChannelHandlerContext) {
        // Whatever nghttp2 queued (a GOAWAY for floods and protocol errors) goes out before the close.
        _ = output.flush(session, to: context, whileWritable: false)
        context.close(promise: nil)
    }

    /// Sends what nghttp2 has queued; closes the connection once a drain has nothing left to wait for.
    func flush() {
        metrics?.publish()
        guard let context else { return }
        guard output.flush(session, to: context) else {
            context.close(promise: nil)
            return
        }
        // nghttp2 queued its own closing GOAWAY (flood, rate limit, protocol error) and it is now sent.
        if !session.wantsRead && !session.wantsWrite {
            if lifecycle == .active, let resets = metrics?.clientResets {
                // nghttp2 ends a connection on its own, without a feed error, when the reset rate limit trips.
                metrics?.goaway(resets >= config.streamResetBurst ? .rapidReset : .protocol)
            }
            context.close(promise: nil)
            return
        }
        if lifecycle == .closing && streams.isEmpty && !session.wantsWrite {
            context.close(promise: nil)
        }
    }

    /// Flushes now unless a read burst is in progress (it flushes when it completes).
    private func flushSoon() {
        if !inRead { flush() }
    }

    // MARK: Graceful shutdown (GOAWAY notice, PING, final GOAWAY, close when idle)

    /// Starts the graceful sequence; `cause` is counted and `debug` sent in the final GOAWAY.
    func beginGracefulShutdown(cause: ServerMetrics.GoawayCause = .drain, debug: String = "") {
        guard lifecycle == .active, let context else { return }
        lifecycle = .notified
        goawayDebug = debug
        metrics?.goaway(cause)
        session.submitShutdownNotice()
        session.submitPing()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        goawayTimer = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(config.goawayNoticeTimeout.nanoseconds))) {
            bound.value.sendFinalGoaway()
        }
        flush()
    }

    private func sendFinalGoaway() {
        guard lifecycle == .notified else { return }
        lifecycle = .closing
        goawayTimer?.cancel()
        session.submitGoaway(code: .noError, debug: goawayDebug)
        flush()
    }

    /// Grace period over: cancel what is left and close.
    func forceClose(cause: ServerMetrics.ResetCause = .shutdown) {
        guard let context else { return }
        for stream in streams.values where !stream.finished {
            stream.finished = true
            session.submitReset(streamID: stream.id, code: .cancel)
            metrics?.reset(cause)
            metrics?.handled(stream: stream, code: .cancelled)
        }
        if lifecycle != .closing {
            metrics?.goaway(.drain)
            lifecycle = .closing
            session.submitGoaway(code: .noError, debug: goawayDebug)
        }
        flush()
        context.close(promise: nil)
    }

    /// Ends the connection at once with a GOAWAY naming `expiry` (keepalive timeout, ping policy): its streams
    /// are cancelled when the channel closes. A connection already past its final GOAWAY is just closed.
    private func terminate(_ expiry: ConnectionKeeper.Expiry, code: HTTP2ErrorCode) {
        guard let context else { return }
        logger.info("closing connection: \(expiry.rawValue)", metadata: ["peer": "\(peer)"])
        if lifecycle != .closing {
            lifecycle = .closing
            metrics?.goaway(ServerMetrics.GoawayCause(expiry))
            session.submitGoaway(code: code, debug: expiry.rawValue)
        }
        _ = output.flush(session, to: context, whileWritable: false)
        context.close(promise: nil)
    }

    // MARK: nghttp2 events

    override func sessionBeginHeaders(streamID: Int32, isTrailers: Bool) {
        guard !isTrailers, streams[streamID] == nil else { return }
        streams[streamID] = ServerStream(
            id: streamID, maxHeaderListSize: config.maxHeaderListSize, maxMessageSize: config.maxReceiveMessageSize)
    }

    override func sessionHeader(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard let stream = stream(streamID), !stream.routed, !stream.finished else { return true }
        // Clients call the same few methods over and over on a connection: reuse the previous path's String
        // when the bytes match instead of building a new one per request.
        if equals(name, ":path"), let lastPath,
            lastPath.utf8.withContiguousStorageIfAvailable({ $0.elementsEqual(value) }) == true
        {
            stream.head.setPath(lastPath, headerBytes: name.count + value.count)
            return true
        }
        stream.head.add(name: name, value: value)
        if equals(name, ":path") { lastPath = stream.head.path }
        return true
    }

    override func sessionHeadersComplete(streamID: Int32, isTrailers: Bool, endStream: Bool) {
        guard let stream = stream(streamID) else { return }
        // Recorded before any refusal below, so a refused request that already ended gets no RST_STREAM.
        if endStream { stream.remoteClosed = true }
        if isTrailers || stream.routed {
            if endStream { requestEnded(stream) }
            return
        }
        if case .reject(let httpStatus, let code, let message) = stream.head.decide() {
            reject(stream, httpStatus: httpStatus, error: RPCError(code: code, message: message))
            return
        }
        switch router.route(for: stream.head.path) {
        case .failure(let error):
            reject(stream, error: error)
            return
        case .success(let route):
            stream.route = route
            metrics?.started(stream: stream, path: stream.head.path, descriptor: route.descriptor)
        }
        guard let compression = MessageCompression(header: stream.head.encoding) else {
            reject(
                stream,
                error: RPCError(
                    code: .unimplemented,
                    message: "grpc-encoding \"\(stream.head.encoding)\" is not supported (supported: \(MessageCompression.acceptEncodingHeader))"),
                extraHeaders: [("grpc-accept-encoding", MessageCompression.acceptEncodingHeader)])
            return
        }
        stream.compression = compression
        if compression != .identity && stream.head.acceptEncodings.contains(compression.rawValue) {
            stream.responseCompression = compression
        }
        if runningHandlers >= config.maxRunningHandlersPerConnection {
            // Nothing was processed, so the client may retry it transparently.
            stream.finished = true
            session.submitReset(streamID: streamID, code: .refusedStream)
            metrics?.reset(.refused)
            metrics?.handled(stream: stream, code: .unavailable)
            return
        }
        if let timeout = stream.head.timeout {
            if timeout <= .zero {
                reject(stream, error: RPCError(code: .deadlineExceeded, message: "deadline exceeded before the call started"))
                return
            }
            startDeadline(stream, timeout: timeout)
        }
        switch stream.route!.handler {
        case .clientStreaming, .bidirectionalStreaming:
            startStreamingRequestHandler(stream)
        default:
            break
        }
        if endStream { requestEnded(stream) }
    }

    override func sessionData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        guard let stream = stream(streamID), !stream.finished, stream.routed else {
            // Data for a stream that is finished or refused still counts against the connection window.
            if let stream = streams[streamID] {
                session.consume(streamID: streamID, count: bytes.count)
                _ = stream
            } else {
                session.consumeConnection(count: bytes.count)
            }
            return
        }
        do {
            try stream.deframer.process(bytes) { message in
                try self.received(message, on: stream)
            }
        } catch let failure as MessageDeframer.Failure {
            session.consume(streamID: streamID, count: bytes.count)
            switch failure {
            case .invalidFlag(let flag):
                fail(stream, error: RPCError(code: .internal, message: "received unexpected payload format (compressed flag \(flag))"))
            case .tooLarge(let length, let limit):
                fail(stream, error: RPCError(
                    code: .resourceExhausted, message: "received message larger than max (\(length) vs. \(limit))"))
            }
            return
        } catch {
            session.consume(streamID: streamID, count: bytes.count)
            fail(stream, error: RPCError(from: error))
            return
        }
        if let inbound = stream.inbound, inbound.isOverLimit {
            stream.heldBytes += bytes.count
        } else {
            session.consume(streamID: streamID, count: bytes.count)
        }
    }

    private func received(_ message: MessageDeframer.Message, on stream: ServerStream) throws {
        var bytes = message.bytes
        if message.compressed {
            guard stream.compression != .identity else {
                throw RPCError(code: .internal, message: "compressed flag set but the request has no grpc-encoding")
            }
            do {
                bytes = try stream.compression.decompress(bytes, limit: config.maxReceiveMessageSize)
            } catch {
                let text = "\(error)"
                let code: StatusCode = text.contains("larger than max") ? .resourceExhausted : .internal
                throw RPCError(code: code, message: "failed to decompress the request: \(text)")
            }
        }
        if let inbound = stream.inbound {
            inbound.push(bytes)
        } else {
            stream.requestMessageCount += 1
            if stream.requestMessage == nil { stream.requestMessage = bytes }
        }
    }

    override func sessionDataEndStream(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        requestEnded(stream)
    }

    private func requestEnded(_ stream: ServerStream) {
        stream.remoteClosed = true
        guard !stream.finished, let route = stream.route else { return }
        if stream.deframer.hasPartialMessage {
            fail(stream, error: RPCError(code: .internal, message: "the request stream ended in the middle of a message"))
            return
        }
        if let inbound = stream.inbound {
            inbound.finish()
            return
        }
        guard stream.requestMessageCount == 1, let request = stream.requestMessage else {
            fail(stream, error: RPCError(
                code: .unimplemented,
                message: "\(route.descriptor) expects exactly one request message, got \(stream.requestMessageCount)"))
            return
        }
        stream.requestMessage = nil
        let context = serverContext(for: stream, route: route)
        switch route.handler {
        case .inlineUnary(let body):
            do {
                respond(stream, body: try body(request, context))
            } catch {
                fail(stream, error: RPCError(from: error))
            }
        case .unary(let body):
            launch(stream) { _ in .body(try await body(request, context)) }
        case .serverStreaming(let body):
            let outbound = makeOutbound(for: stream)
            launch(stream) { _ in
                try await body(request, context, outbound)
                return .streamEnded
            }
        case .clientStreaming, .bidirectionalStreaming:
            break
        }
    }

    override func sessionStreamClosed(streamID: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        if streams.isEmpty { keeper?.streamsBecameEmpty() }
        if stream.heldBytes > 0 { session.consumeConnection(count: stream.heldBytes) }
        let byClient = !stream.finished
        if byClient, metrics != nil {
            metrics?.reset(.client)
            metrics?.handled(stream: stream, code: .cancelled)
        }
        let error = errorCode == HTTP2ErrorCode.noError.rawValue && !byClient
            ? RPCError(code: .cancelled, message: "the stream was closed")
            : RPCError(code: .cancelled, message: "the client cancelled the call")
        abandon(stream, error: error)
    }

    override func sessionReadData(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        guard let stream = stream(streamID) else { return .deferred }
        return stream.read(into: buffer)
    }

    override func sessionFrameSent(streamID: Int32, isHeaders: Bool, endStream: Bool) {
        keeper?.forgiveStrikes()
        // Early server closure: the response ended before the client's END_STREAM, so tell it to stop sending.
        guard endStream, let stream = stream(streamID), !stream.remoteClosed else { return }
        session.submitReset(streamID: streamID, code: .noError)
    }

    override func sessionPing(ack: Bool, payload: UInt64) {
        if ack && payload != ConnectionKeeper.keepalivePayload && lifecycle == .notified { sendFinalGoaway() }
        // Acted on after the read (nghttp2 must not be re-entered from its callback).
        if let keeper, !keeper.pingReceived(ack: ack, payload: payload) { pingPolicyBroken = true }
    }

    override func sessionGoaway(lastStreamID: Int32, errorCode: UInt32) {
        if errorCode != HTTP2ErrorCode.noError.rawValue {
            logger.debug("client sent GOAWAY", metadata: ["peer": "\(peer)", "code": "\(errorCode)"])
        }
    }

    // MARK: Responses

    private static let responseHeaders = HeaderBlock([
        (":status", "200"), ("content-type", "application/grpc"),
        ("grpc-accept-encoding", MessageCompression.acceptEncodingHeader),
    ])
    private static let okTrailers = HeaderBlock([("grpc-status", "0")])

    private func statusFields(_ error: RPCError) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("grpc-status", "\(error.code.rawValue)")]
        if !error.message.isEmpty {
            // Clients cap response metadata near 8 KiB; keep the status message well below it.
            var message = GRPCStatusMessage.encode(error.message)
            if message.utf8.count > 4096 {
                message = GRPCStatusMessage.encode(String(error.message.prefix(1000)) + "… (truncated)")
            }
            fields.append(("grpc-message", message))
        }
        for entry in error.metadata {
            switch entry.value {
            case .string(let value): fields.append((entry.key, value))
            case .binary(let bytes): fields.append((entry.key, MetadataBase64.encode(bytes)))
            }
        }
        return fields
    }

    /// A Trailers-Only response to a request refused before its handler ran.
    private func reject(
        _ stream: ServerStream, httpStatus: Int = 200, error: RPCError,
        extraHeaders: [(name: String, value: String)] = []
    ) {
        trailersOnly(
            stream,
            fields: [(":status", "\(httpStatus)"), ("content-type", "application/grpc")] + extraHeaders
                + statusFields(error), code: error.code)
    }

    private func trailersOnly(_ stream: ServerStream, fields: [(name: String, value: String)], code: StatusCode = .ok) {
        metrics?.handled(stream: stream, code: code)
        stream.finished = true
        stream.deadlineTimer?.cancel()
        session.submitResponse(streamID: stream.id, headers: HeaderBlock(fields), withBody: false)
        flushSoon()
    }

    /// Ends a call with an error: Trailers-Only if nothing was sent yet, otherwise trailers after the body.
    private func fail(_ stream: ServerStream, error: RPCError) {
        guard !stream.finished else { return }
        stream.task?.cancel()
        stream.inbound?.fail(error)
        stream.outbound?.close(error)
        if stream.responseStarted {
            finish(stream, trailers: HeaderBlock(statusFields(error)), code: error.code)
        } else {
            reject(stream, error: error)
        }
    }

    private func respond(_ stream: ServerStream, body: [UInt8]) {
        guard !stream.finished else { return }
        var framed: [UInt8] = []
        if stream.responseCompression != .identity {
            appendFramed(stream.responseCompression.compress(body), compressed: true, to: &framed)
        } else {
            framed.reserveCapacity(body.count + 5)
            appendFramed(body, compressed: false, to: &framed)
        }
        stream.pending = framed
        stream.pendingOffset = 0
        finish(stream, trailers: Self.okTrailers)
    }

    /// Commits the trailers; the body (if any) drains first.
    private func finish(_ stream: ServerStream, trailers: HeaderBlock, code: StatusCode = .ok) {
        metrics?.handled(stream: stream, code: code)
        stream.finished = true
        stream.deadlineTimer?.cancel()
        stream.trailers = trailers
        startOrResume(stream)
    }

    private func startOrResume(_ stream: ServerStream) {
        if !stream.responseStarted {
            stream.responseStarted = true
            session.submitResponse(streamID: stream.id, headers: compressionHeaders(stream), withBody: true)
        } else if stream.deferred {
            stream.deferred = false
            session.resumeData(streamID: stream.id)
        }
        flushSoon()
    }

    private static let gzipResponseHeaders = HeaderBlock([
        (":status", "200"), ("content-type", "application/grpc"), ("grpc-encoding", "gzip"),
        ("grpc-accept-encoding", MessageCompression.acceptEncodingHeader),
    ])
    private static let deflateResponseHeaders = HeaderBlock([
        (":status", "200"), ("content-type", "application/grpc"), ("grpc-encoding", "deflate"),
        ("grpc-accept-encoding", MessageCompression.acceptEncodingHeader),
    ])

    /// Responses are compressed with the request's algorithm (symmetric) when the client's
    /// `grpc-accept-encoding` lists it; otherwise they are not compressed.
    private func compressionHeaders(_ stream: ServerStream) -> HeaderBlock {
        switch stream.responseCompression {
        case .identity: Self.responseHeaders
        case .gzip: Self.gzipResponseHeaders
        case .deflate: Self.deflateResponseHeaders
        }
    }

    // MARK: Handler tasks

    private enum HandlerOutcome: Sendable {
        case body([UInt8])
        case streamEnded
    }

    private func serverContext(for stream: ServerStream, route: ServiceRouter.Route) -> ServerContext {
        var deadline: ContinuousClock.Instant?
        if let timeout = stream.head.timeout { deadline = .now + timeout }
        return ServerContext(method: route.descriptor, metadata: stream.head.metadata, deadline: deadline, peer: peer)
    }

    private func makeOutbound(for stream: ServerStream) -> StreamOutbound {
        let bound = NIOLoopBound(self, eventLoop: context!.eventLoop)
        let loop = context!.eventLoop
        let id = stream.id
        let outbound = StreamOutbound(limit: config.outboundQueueLimit, compression: stream.responseCompression) {
            loop.execute { bound.value.outboundReady(streamID: id) }
        }
        stream.outbound = outbound
        return outbound
    }

    private func outboundReady(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        if stream.finished && stream.trailers == nil { return }
        startOrResume(stream)
    }

    private func startStreamingRequestHandler(_ stream: ServerStream) {
        guard let route = stream.route, let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let id = stream.id
        let inbound = InboundMessageQueue(limit: config.inboundQueueLimit) {
            loop.execute { bound.value.inboundDrained(streamID: id) }
        }
        stream.inbound = inbound
        let serverContext = serverContext(for: stream, route: route)
        switch route.handler {
        case .clientStreaming(let body):
            launch(stream) { _ in .body(try await body(inbound, serverContext)) }
        case .bidirectionalStreaming(let body):
            let outbound = makeOutbound(for: stream)
            launch(stream) { _ in
                try await body(inbound, outbound, serverContext)
                return .streamEnded
            }
        default:
            break
        }
    }

    private func inboundDrained(streamID: Int32) {
        guard let stream = streams[streamID], stream.heldBytes > 0 else { return }
        session.consume(streamID: streamID, count: stream.heldBytes)
        stream.heldBytes = 0
        flushSoon()
    }

    private func launch(_ stream: ServerStream, _ body: @escaping @Sendable (Int32) async throws -> HandlerOutcome) {
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let id = stream.id
        runningHandlers += 1
        // An unstructured task per call: its handle is kept on the stream so that RST_STREAM, deadlines and
        // connection loss can cancel it; it reports back to the loop, which counts it until it has finished.
        stream.task = Task {
            let result: Result<HandlerOutcome, RPCError>
            do {
                result = .success(try await body(id))
            } catch {
                result = .failure(RPCError(from: error))
            }
            loop.execute { bound.value.handlerFinished(streamID: id, result: result) }
        }
    }

    private func handlerFinished(streamID: Int32, result: Result<HandlerOutcome, RPCError>) {
        runningHandlers -= 1
        defer { flushSoon() }
        guard let stream = streams[streamID], !stream.finished else { return }
        stream.task = nil
        switch result {
        case .success(.body(let body)):
            respond(stream, body: body)
        case .success(.streamEnded):
            stream.refill()
            if !stream.responseStarted && stream.pendingCount == 0 {
                // OK with no messages: a Trailers-Only response.
                trailersOnly(stream, fields: [(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "0")])
                return
            }
            finish(stream, trailers: Self.okTrailers)
        case .failure(let error):
            if case .unknown = error.code, let cause = error.cause {
                logger.warning("handler failed: \(cause)", metadata: ["method": "\(stream.route?.descriptor.description ?? "")"])
            }
            fail(stream, error: error)
        }
    }

    private func startDeadline(_ stream: ServerStream, timeout: Duration) {
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let id = stream.id
        stream.deadlineTimer = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.nanoseconds))) {
            bound.value.deadlineExpired(streamID: id)
        }
    }

    private func deadlineExpired(streamID: Int32) {
        guard let stream = streams[streamID], !stream.finished else { return }
        let error = RPCError(code: .deadlineExceeded, message: "deadline exceeded")
        stream.task?.cancel()
        stream.inbound?.fail(error)
        stream.outbound?.close(error)
        if stream.responseStarted {
            stream.finished = true
            session.submitReset(streamID: streamID, code: .cancel)
            metrics?.reset(.deadline)
            metrics?.handled(stream: stream, code: .deadlineExceeded)
            flushSoon()
        } else {
            reject(stream, error: error)
        }
    }

    /// The stream is gone (reset, closed, connection lost): cancel its handler and release its queues.
    private func abandon(_ stream: ServerStream, error: RPCError) {
        stream.finished = true
        stream.deadlineTimer?.cancel()
        stream.task?.cancel()
        stream.inbound?.fail(error)
        stream.outbound?.close(error)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}

extension GRPCServerConnectionHandler: ConnectionKeeperDelegate {
    var openStreamCount: Int { streams.count }

    func keeperRequestsGoaway(_ expiry: ConnectionKeeper.Expiry) {
        switch expiry {
        case .idle, .maxAge: beginGracefulShutdown(cause: ServerMetrics.GoawayCause(expiry), debug: expiry.rawValue)
        case .keepaliveTimeout, .tooManyPings: terminate(expiry, code: expiry == .tooManyPings ? .enhanceYourCalm : .noError)
        }
    }

    func keeperSendsPing() {
        session.submitPing(payload: ConnectionKeeper.keepalivePayload)
        flushSoon()
    }

    func keeperForcesClose() {
        forceClose(cause: .maxAge)
    }
}
