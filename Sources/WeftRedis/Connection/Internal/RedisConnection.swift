internal import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking hiredis connection: the owner of a `redisContext`, freed in `deinit`.
///
/// This is the only file of Weft that touches hiredis; no C type leaves it. A connection is used by one thread at a
/// time (a pool worker or the subscriber thread owns it for its whole life), so it is deliberately not `Sendable`.
/// After a `connection`, `timeout` or `protocol` error hiredis leaves the context unusable (``isBroken``): the
/// owner drops it and connects anew.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    private let configuration: RedisConfiguration

    /// Connects within the connect timeout, sets the command timeout on the socket, then authenticates and selects
    /// the database when the configuration asks for it.
    init(configuration: RedisConfiguration) throws(RedisError) {
        self.configuration = configuration
        guard
            let context = configuration.host.withCString({ host in
                redisConnectWithTimeout(host, Int32(configuration.port), timeval(configuration.connectTimeout))
            })
        else {
            throw RedisError(.connection, "cannot allocate a hiredis context")
        }
        if context.pointee.err != 0 {
            let message = Self.errorString(context)
            redisFree(context)
            throw RedisError(.connection, "cannot connect to \(configuration.host):\(configuration.port): \(message)")
        }
        self.context = context
        guard redisSetTimeout(context, timeval(configuration.commandTimeout)) == REDIS_OK else {
            // deinit frees the context.
            throw RedisError(.connection, "cannot set the command timeout: \(Self.errorString(context))")
        }
        if let password = configuration.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let username = configuration.username { auth.append(RedisArgument(username)) }
            auth.append(RedisArgument(password))
            do {
                _ = try command(auth)
            } catch  where error.kind == .server {
                throw RedisError(.connection, "authentication failed: \(error.message)", cause: error)
            }
        }
        if configuration.database != 0 {
            do {
                _ = try command(["SELECT", RedisArgument(configuration.database)])
            } catch  where error.kind == .server {
                throw RedisError(.connection, "cannot select database \(configuration.database): \(error.message)")
            }
        }
    }

    deinit {
        redisFree(context)
    }

    /// True once hiredis reported an I/O or protocol error on this connection.
    var isBroken: Bool { context.pointee.err != 0 }

    /// True when the connection can take a command: not broken, and nothing readable while no reply is pending.
    ///
    /// An idle socket that is readable has either been closed by the server (a Redis restart, `CLIENT KILL`, an
    /// idle timeout) or holds data nobody asked for; both make it unusable. Checking first means a command is not
    /// lost on a connection that died while it sat in the pool.
    var isUsable: Bool {
        guard !isBroken else { return false }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// Sends one command and waits for its reply (bounded by the command timeout per socket operation).
    ///
    /// - Throws: ``RedisError/Kind/server`` for an error reply (the connection stays usable); other kinds leave it
    ///   broken.
    func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        guard !arguments.isEmpty else { throw RedisError(.protocol, "empty command") }
        let reply = Self.withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        let savedErrno = errno
        guard let reply else { throw ioError(errno: savedErrno, during: arguments) }
        let value = Self.value(of: reply.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(reply)
        if case .error(let message) = value { throw RedisError(.server, message) }
        return value
    }

    /// Sends `commands` in one write and reads their replies in order; error replies are returned as
    /// ``RedisValue/error(_:)`` in their place.
    ///
    /// - Throws: a connection, timeout or protocol error, after which the connection is broken.
    func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisValue] {
        for arguments in commands {
            try append(arguments)
        }
        var values: [RedisValue] = []
        values.reserveCapacity(commands.count)
        for arguments in commands {
            var reply: UnsafeMutableRawPointer?
            let status = redisGetReply(context, &reply)
            let savedErrno = errno
            guard status == REDIS_OK, let reply else { throw ioError(errno: savedErrno, during: arguments) }
            values.append(Self.value(of: reply.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(reply)
        }
        return values
    }

    // MARK: - Pub/sub (used by the subscriber thread)

    /// Buffers a command for sending, without waiting for a reply. ``flush()`` or ``pipeline(_:)`` sends it.
    func append(_ arguments: [RedisArgument]) throws(RedisError) {
        guard !arguments.isEmpty else { throw RedisError(.protocol, "empty command") }
        let status = Self.withArgv(arguments) { argc, argv, lengths in
            redisAppendCommandArgv(context, argc, argv, lengths)
        }
        guard status == REDIS_OK else { throw RedisError(.connection, Self.errorString(context)) }
    }

    /// Writes every buffered command (bounded by the command timeout per write).
    func flush() throws(RedisError) {
        var done: Int32 = 0
        repeat {
            guard redisBufferWrite(context, &done) == REDIS_OK else {
                throw ioError(errno: errno, during: nil)
            }
        } while done == 0
    }

    /// The next reply pushed by the server, waiting at most `timeout` for data; nil when none arrived in time.
    ///
    /// Used in subscribe mode, where the server sends messages unasked. Waiting with `poll` (not the socket's
    /// receive timeout) keeps the context healthy when nothing arrives.
    func nextPushedReply(waitingAtMost timeout: Duration) throws(RedisError) -> RedisValue? {
        if let value = try bufferedReply() { return value }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(clamping: timeout.milliseconds))
        if ready < 0 {
            let code = errno
            if code == EINTR { return nil }
            throw RedisError(.connection, "poll: \(String(cString: strerror(code)))")
        }
        if ready == 0 { return nil }
        guard redisBufferRead(context) == REDIS_OK else { throw ioError(errno: errno, during: nil) }
        return try bufferedReply()
    }

    /// A complete reply already read from the socket, if any.
    private func bufferedReply() throws(RedisError) -> RedisValue? {
        var reply: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &reply) == REDIS_OK else {
            throw RedisError(.protocol, Self.errorString(context))
        }
        guard let reply else { return nil }
        defer { freeReplyObject(reply) }
        return Self.value(of: reply.assumingMemoryBound(to: redisReply.self))
    }

    // MARK: - Errors and conversions

    /// The error for a failed hiredis call; `errno` was saved right after it, before anything could change it.
    private func ioError(errno code: Int32, during arguments: [RedisArgument]?) -> RedisError {
        let message = Self.errorString(context)
        let name = arguments?.first.map { " (\(String(decoding: $0.bytes, as: UTF8.self)))" } ?? ""
        switch context.pointee.err {
        case REDIS_ERR_IO where code == EAGAIN || code == EWOULDBLOCK || code == ETIMEDOUT:
            // SO_RCVTIMEO/SO_SNDTIMEO expired: the command timeout.
            return RedisError(.timeout, "no reply within \(configuration.commandTimeout)\(name)")
        case REDIS_ERR_PROTOCOL, REDIS_ERR_OOM:
            return RedisError(.protocol, message + name)
        default:
            return RedisError(.connection, message + name)
        }
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "unknown hiredis error" : String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Converts a reply tree; the caller frees it with `freeReplyObject`.
    private static func value(of reply: UnsafePointer<redisReply>) -> RedisValue {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            guard let start = reply.str, reply.len > 0 else { return .string([]) }
            return .string(Array(UnsafeRawBufferPointer(start: start, count: reply.len)))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.integer))
        case REDIS_REPLY_ARRAY:
            guard let elements = reply.element else { return .array([]) }
            return .array(
                (0..<reply.elements).map { index in
                    elements[index].map { value(of: $0) } ?? .null
                }
            )
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_STATUS:
            return .status(text(reply))
        case REDIS_REPLY_ERROR:
            return .error(text(reply))
        default:
            return .error("unsupported reply type \(reply.type)")
        }
    }

    private static func text(_ reply: redisReply) -> String {
        guard let start = reply.str, reply.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: start, count: reply.len), as: UTF8.self)
    }

    /// Lays `arguments` out in one buffer and calls `body` with hiredis' argv and argvlen arrays, which are valid
    /// only during the call. Lengths are explicit, so arguments may contain NUL bytes.
    private static func withArgv<Result>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.bytes.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.bytes.count)
            storage.append(contentsOf: argument.bytes)
        }
        storage.append(0)  // never empty, so the base address exists even if every argument is
        return storage.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lengths in
                    body(Int32(arguments.count), argv.baseAddress!, lengths.baseAddress!)
                }
            }
        }
    }
}

extension timeval {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: .init(max(0, seconds)), tv_usec: .init(max(0, attoseconds) / 1_000_000_000_000))
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a positive duration never becomes zero.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
