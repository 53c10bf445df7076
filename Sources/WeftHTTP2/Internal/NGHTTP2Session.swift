internal import CNGHTTP2

/// HTTP/2 error codes used by the transports (RFC 9113 §7).
enum HTTP2ErrorCode: UInt32 {
    case noError = 0x0
    case protocolError = 0x1
    case internalError = 0x2
    case flowControlError = 0x3
    case refusedStream = 0x7
    case cancel = 0x8
    case enhanceYourCalm = 0xB
}

/// Session settings and nghttp2's DoS limits. `nil` leaves nghttp2's default.
struct HTTP2SessionSettings {
    var maxConcurrentStreams: UInt32 = 1000
    var initialWindowSize: UInt32 = 1 << 20
    var connectionWindowSize: Int32 = 1 << 24
    var maxHeaderListSize: UInt32 = 16 * 1024
    var maxFrameSize: UInt32 = 16 * 1024
    /// Rapid-reset defence (CVE-2023-44487): incoming RST_STREAM token bucket.
    var streamResetBurst: UInt64 = 1000
    var streamResetRatePerSecond: UInt64 = 33
    var maxSettingsEntries: Int = 32
    var maxOutboundAck: Int = 1000
    var maxContinuations: Int = 8
    var maxDeflateDynamicTableSize: Int = 4096
    var maxSendHeaderBlockLength: Int = 64 * 1024
}

/// How the delegate answered a request for body bytes.
enum HTTP2DataRead {
    /// `count` bytes were written; `end` closes the body, with trailers (server) or END_STREAM (client).
    case bytes(count: Int, end: Bool, trailers: HeaderBlock?)
    /// Nothing to send yet; the owner calls ``NGHTTP2Session/resumeData(streamID:)`` later.
    case deferred
}

/// Receives what the session parsed. Every call happens inside `receive`/`drain` on the owner's event loop.
///
/// A base class rather than a protocol: nghttp2's callbacks reach it through an `Unmanaged` reference with a
/// guaranteed lifetime and a class-method call, with no existential to copy and no retain/release per callback
/// (several callbacks run per request on the hot path). Subclasses override every method.
class HTTP2SessionDelegate {
    func sessionBeginHeaders(streamID: Int32, isTrailers: Bool) {}
    /// Returns false to reset the stream (header limits).
    func sessionHeader(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool { true }
    func sessionHeadersComplete(streamID: Int32, isTrailers: Bool, endStream: Bool) {}
    func sessionData(streamID: Int32, bytes: UnsafeRawBufferPointer) {}
    func sessionDataEndStream(streamID: Int32) {}
    func sessionStreamClosed(streamID: Int32, errorCode: UInt32) {}
    func sessionReadData(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead { .deferred }
    func sessionFrameSent(streamID: Int32, isHeaders: Bool, endStream: Bool) {}
    /// A PING frame; `payload` is its 8 bytes of opaque data, big-endian.
    func sessionPing(ack: Bool, payload: UInt64) {}
    func sessionGoaway(lastStreamID: Int32, errorCode: UInt32) {}
}

/// A block of header fields laid out as nghttp2 wants them (`nghttp2_nv`), built once from Swift strings.
///
/// Blocks for constant headers are built once and reused for every response: nghttp2 copies them into its
/// own frame buffers when the frame is queued, so reuse is safe.
// @unchecked Sendable: every stored property is set in init and the memory behind them is never written
// again until deinit, so sharing a block between event loops only ever reads it.
final class HeaderBlock: @unchecked Sendable {
    fileprivate let nva: UnsafeMutablePointer<nghttp2_nv>
    fileprivate let count: Int
    private let storage: UnsafeMutablePointer<UInt8>

    init(_ fields: [(name: String, value: String)]) {
        count = fields.count
        let total = fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        storage = .allocate(capacity: max(total, 1))
        nva = .allocate(capacity: max(fields.count, 1))
        var offset = 0
        for (index, field) in fields.enumerated() {
            let name = storage + offset
            offset += field.name.utf8.count
            let value = storage + offset
            offset += field.value.utf8.count
            _ = UnsafeMutableBufferPointer(start: name, count: field.name.utf8.count).initialize(from: field.name.utf8)
            _ = UnsafeMutableBufferPointer(start: value, count: field.value.utf8.count)
                .initialize(from: field.value.utf8)
            nva[index] = nghttp2_nv(
                name: name, value: value, namelen: field.name.utf8.count, valuelen: field.value.utf8.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        }
    }

    deinit {
        nva.deallocate()
        storage.deallocate()
    }
}

/// One nghttp2 session (server or client), sans-I/O: bytes in through ``receive(_:)``, bytes out through
/// ``drain(into:)``, parsed events to the delegate.
///
/// Not thread-safe by design: the owner confines it to one event loop. `receive` and `drain` are never called
/// from inside a delegate callback (nghttp2 forbids re-entry); `submit*` calls are allowed there.
final class NGHTTP2Session {
    enum Role { case server, client }

    /// A fatal session error: the connection must be closed after flushing what is pending (a GOAWAY).
    struct Failure: Error, CustomStringConvertible {
        let code: Int
        var description: String { String(cString: nghttp2_strerror(Int32(code))) }
        var isBadClientMagic: Bool { code == Int(NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue) }
        var isFlooded: Bool { code == Int(NGHTTP2_ERR_FLOODED.rawValue) }
    }

    private var session: OpaquePointer?
    let role: Role

    /// - Parameter delegate: Receives the session's events; it owns the session and so outlives it.
    init(role: Role, settings: HTTP2SessionSettings, delegate: HTTP2SessionDelegate) {
        self.role = role
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSend)
        nghttp2_session_callbacks_set_data_source_read_length_callback(callbacks, readLength)

        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_settings(option, settings.maxSettingsEntries)
        nghttp2_option_set_max_outbound_ack(option, settings.maxOutboundAck)
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)
        nghttp2_option_set_stream_reset_rate_limit(
            option, settings.streamResetBurst, settings.streamResetRatePerSecond)
        nghttp2_option_set_max_deflate_dynamic_table_size(option, settings.maxDeflateDynamicTableSize)
        nghttp2_option_set_max_send_header_block_length(option, settings.maxSendHeaderBlockLength)

        // nghttp2 hands this pointer back to every callback: the delegate owns this session, so it outlives the
        // nghttp2 session (freed in deinit) and every callback.
        let userData = Unmanaged.passUnretained(delegate).toOpaque()
        switch role {
        case .server: nghttp2_session_server_new2(&session, callbacks, userData, option)
        case .client: nghttp2_session_client_new2(&session, callbacks, userData, option)
        }
        precondition(session != nil, "nghttp2 session allocation failed")

        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
        ]
        if role == .client {
            entries.append(nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0))
        }
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindowSize)
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: I/O

    /// Feeds received bytes. Throws on a fatal error (bad preface, flood, protocol error).
    func receive(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let rv = nghttp2_session_mem_recv(
                session, base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), bytes.count - offset)
            if rv < 0 { throw Failure(code: rv) }
            offset += rv
        }
    }

    /// Hands pending outbound bytes to `append` until nghttp2 has none or `append` returns false (enough for
    /// one write). Each chunk is valid only during its call. Returns false on a fatal session error.
    @discardableResult
    func drain(_ append: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        while true {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &data)
            if n < 0 { return false }
            if n == 0 { return true }
            if !append(UnsafeRawBufferPointer(start: data, count: n)) { return true }
        }
    }

    var wantsRead: Bool { nghttp2_session_want_read(session) != 0 }
    var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }
    var lastProcessedStreamID: Int32 { nghttp2_session_get_last_proc_stream_id(session) }

    // MARK: Submissions

    /// Sends response headers; `withBody` attaches a data source read through the delegate.
    @discardableResult
    func submitResponse(streamID: Int32, headers: HeaderBlock, withBody: Bool) -> Bool {
        if withBody {
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readData)
            return nghttp2_submit_response(session, streamID, headers.nva, headers.count, &provider) == 0
        }
        return nghttp2_submit_response(session, streamID, headers.nva, headers.count, nil) == 0
    }

    /// Starts a request (client); returns the stream id or nil.
    func submitRequest(headers: HeaderBlock, withBody: Bool) -> Int32? {
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readData)
        let id = withBody
            ? nghttp2_submit_request(session, nil, headers.nva, headers.count, &provider, nil)
            : nghttp2_submit_request(session, nil, headers.nva, headers.count, nil, nil)
        return id > 0 ? id : nil
    }

    @discardableResult
    func submitTrailers(streamID: Int32, headers: HeaderBlock) -> Bool {
        nghttp2_submit_trailer(session, streamID, headers.nva, headers.count) == 0
    }

    func submitReset(streamID: Int32, code: HTTP2ErrorCode) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, code.rawValue)
    }

    /// Resumes a deferred body; false when the stream is gone (benign).
    @discardableResult
    func resumeData(streamID: Int32) -> Bool {
        nghttp2_session_resume_data(session, streamID) == 0
    }

    /// Returns `count` received bytes to the stream's and the connection's flow-control windows.
    func consume(streamID: Int32, count: Int) {
        guard count > 0 else { return }
        if nghttp2_session_consume(session, streamID, count) != 0 {
            nghttp2_session_consume_connection(session, count)
        }
    }

    /// Returns bytes of a stream that is gone to the connection window only.
    func consumeConnection(count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume_connection(session, count)
    }

    /// The first GOAWAY of a graceful shutdown: last-stream-id 2^31-1, NO_ERROR.
    func submitShutdownNotice() {
        nghttp2_submit_shutdown_notice(session)
    }

    /// A PING carrying `payload` as its opaque data (big-endian).
    func submitPing(payload: UInt64 = 0) {
        withUnsafeBytes(of: payload.bigEndian) { bytes in
            _ = nghttp2_submit_ping(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// GOAWAY with the given last stream id (nil: the last one processed) and debug data.
    func submitGoaway(lastStreamID: Int32? = nil, code: HTTP2ErrorCode, debug: String = "") {
        var debugBytes = Array(debug.utf8)
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID ?? lastProcessedStreamID, code.rawValue,
            &debugBytes, debugBytes.count)
    }

    /// Terminates the session: GOAWAY with `code`, pending frames flushed by the next drain.
    func terminate(code: HTTP2ErrorCode) {
        nghttp2_session_terminate_session(session, code.rawValue)
    }
}

// MARK: - C callbacks: forward to the delegate at once.

/// Calls `body` with the session's delegate without retaining it (see ``HTTP2SessionDelegate``).
@inline(__always)
private func withDelegate<R>(_ userData: UnsafeMutableRawPointer?, _ body: (HTTP2SessionDelegate) -> R) -> R {
    Unmanaged<HTTP2SessionDelegate>.fromOpaque(userData!)._withUnsafeGuaranteedRef(body)
}

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let isTrailers = frame.pointee.headers.cat == NGHTTP2_HCAT_HEADERS
    withDelegate(userData) { $0.sessionBeginHeaders(streamID: frame.pointee.hd.stream_id, isTrailers: isTrailers) }
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    guard let frame else { return 0 }
    let ok = withDelegate(userData) { $0.sessionHeader(
        streamID: frame.pointee.hd.stream_id,
        name: UnsafeRawBufferPointer(start: name, count: nameLength),
        value: UnsafeRawBufferPointer(start: value, count: valueLength)) }
    return ok ? 0 : Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
}

private let onFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let header = frame.pointee.hd
    let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    switch UInt32(header.type) {
    case NGHTTP2_HEADERS.rawValue:
        withDelegate(userData) { $0.sessionHeadersComplete(
            streamID: header.stream_id, isTrailers: frame.pointee.headers.cat == NGHTTP2_HCAT_HEADERS,
            endStream: endStream) }
    case NGHTTP2_DATA.rawValue:
        if endStream { withDelegate(userData) { $0.sessionDataEndStream(streamID: header.stream_id) } }
    case NGHTTP2_PING.rawValue:
        let payload = withUnsafeBytes(of: frame.pointee.ping.opaque_data) { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
        withDelegate(userData) {
            $0.sessionPing(ack: header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0, payload: payload)
        }
    case NGHTTP2_GOAWAY.rawValue:
        withDelegate(userData) { $0.sessionGoaway(
            lastStreamID: frame.pointee.goaway.last_stream_id, errorCode: frame.pointee.goaway.error_code) }
    default:
        break
    }
    return 0
}

private let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
    withDelegate(userData) { $0.sessionData(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length)) }
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    withDelegate(userData) { $0.sessionStreamClosed(streamID: streamID, errorCode: errorCode) }
    return 0
}

private let onFrameSend: nghttp2_on_frame_send_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let header = frame.pointee.hd
    let type = UInt32(header.type)
    guard type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue else { return 0 }
    withDelegate(userData) { $0.sessionFrameSent(
        streamID: header.stream_id, isHeaders: type == NGHTTP2_HEADERS.rawValue,
        endStream: header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0) }
    return 0
}

/// Lets DATA frames grow to the peer's max frame size instead of nghttp2's 16 KiB default.
private let readLength: nghttp2_data_source_read_length_callback = {
    _, _, _, sessionWindow, streamWindow, remoteMaxFrameSize, _ in
    min(Int(sessionWindow), Int(streamWindow), Int(remoteMaxFrameSize))
}

private let readData: nghttp2_data_source_read_callback = { session, streamID, buffer, length, flags, _, userData in
    let read = withDelegate(userData) {
        $0.sessionReadData(streamID: streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: length))
    }
    switch read {
    case .deferred:
        return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    case .bytes(let count, let end, let trailers):
        if end {
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            if let trailers {
                // Trailers are submitted from inside the read callback at EOF, so they follow the last DATA.
                flags!.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                nghttp2_submit_trailer(session, streamID, trailers.nva, trailers.count)
            }
        }
        return count
    }
}
