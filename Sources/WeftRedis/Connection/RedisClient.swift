public import CoreMetrics
public import Logging

/// A pool of Redis connections with an async API.
///
/// Each of the ``RedisConfiguration/poolSize`` connections lives on its own dedicated thread, which makes the
/// blocking hiredis calls; an `async` caller only suspends until a thread has run its command, so the Swift
/// cooperative pool and NIO event loops are never blocked for the duration of a command. Commands are queued in
/// order and taken by whichever thread is free.
///
/// Every command is time-bounded: it fails with ``RedisError/Kind/timeout`` if it waits longer than the command
/// timeout for a free connection, or if a socket read or write takes longer. A connection that breaks (timeout,
/// I/O error, server restart) is dropped and a new one is made for a later command. When connecting fails,
/// commands fail at once with ``RedisError/Kind/connection`` until the reconnect backoff (100 ms doubling up to
/// 5 s) has passed, so an outage costs callers no waiting.
///
/// Call ``shutdown()`` when done (deinit does it too): queued commands fail and the threads end.
public final class RedisClient: Sendable {
    /// The configuration the client was made with.
    public let configuration: RedisConfiguration
    private let pool: ConnectionPool

    /// Creates a client and starts its connection threads. Connections are made on first use.
    ///
    /// Every command's latency and every error are recorded on `metrics` (`weft_redis_command_duration_seconds`,
    /// `weft_redis_command_errors_total`, labelled by command); the default is the process-wide factory.
    public init(
        configuration: RedisConfiguration, logger: Logger = Logger(label: "weft.redis"),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.pool = ConnectionPool(
            configuration: configuration, logger: logger, metrics: RedisCommandMetrics(factory: metrics))
        pool.start()
    }

    /// Creates a client for a `REDIS_URL` (see ``RedisConfiguration/init(url:)``) with default timeouts.
    public convenience init(url: String, logger: Logger = Logger(label: "weft.redis")) throws(RedisError) {
        self.init(configuration: try RedisConfiguration(url: url), logger: logger)
    }

    deinit {
        pool.shutdown()
    }

    /// Fails queued commands with a connection error and stops the connection threads once their current command
    /// is done. Later commands fail at once. Idempotent.
    public func shutdown() {
        pool.shutdown()
    }

    /// Runs one command and returns its reply.
    ///
    /// - Throws: ``RedisError``: ``RedisError/Kind/server`` for an error reply, ``RedisError/Kind/timeout``,
    ///   ``RedisError/Kind/connection`` or ``RedisError/Kind/protocol``.
    public func command(_ arguments: RedisArgument...) async throws(RedisError) -> RedisValue {
        try await command(arguments)
    }

    /// Runs one command given as an array of arguments and returns its reply.
    ///
    /// - Throws: as ``command(_:)-(RedisArgument...)``.
    public func command(_ arguments: [RedisArgument]) async throws(RedisError) -> RedisValue {
        let values = try await pool.run([arguments], throwOnErrorReply: true)
        guard let value = values.first else { throw RedisError(.protocol, "no reply") }
        return value
    }

    /// Sends `commands` in one write on one connection and returns their replies in order.
    ///
    /// An error reply to one command is returned as ``RedisValue/error(_:)`` in its place and does not affect the
    /// others. Pipelining is not a transaction: wrap the commands in `MULTI`/`EXEC` for that.
    ///
    /// - Throws: ``RedisError`` of kind timeout, connection or protocol; the commands may then have run in part.
    public func pipeline(_ commands: [[RedisArgument]]) async throws(RedisError) -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        return try await pool.run(commands, throwOnErrorReply: false)
    }
}
