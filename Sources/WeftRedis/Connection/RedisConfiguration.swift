/// Where Redis is and how the client talks to it.
///
/// Build one from a `REDIS_URL` with ``init(url:)``, then adjust the timeouts and pool size.
public struct RedisConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// How long to wait after a failed connection attempt before the next one, growing after every failure.
    public struct Backoff: Sendable, Hashable {
        /// The wait after the first failure. Default 100 ms.
        public var initial: Duration
        /// The factor applied after every further failure. Default 2.
        public var multiplier: Double
        /// The longest wait. Default 5 s.
        public var maximum: Duration

        /// Creates a backoff.
        public init(initial: Duration = .milliseconds(100), multiplier: Double = 2, maximum: Duration = .seconds(5)) {
            self.initial = initial
            self.multiplier = multiplier
            self.maximum = maximum
        }

        /// 100 ms, doubling, at most 5 s.
        public static var defaults: Backoff { Backoff() }

        /// The wait after `previous` (nil: after the first failure).
        func next(after previous: Duration?) -> Duration {
            guard let previous else { return min(initial, maximum) }
            return min(previous * multiplier, maximum)
        }
    }

    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    /// TCP port. Default 6379.
    public var port: Int
    /// ACL user name for `AUTH user password`; nil authenticates with the password alone.
    public var username: String?
    /// Password for `AUTH`; nil: no authentication.
    public var password: String?
    /// Logical database selected on every connection (`SELECT`). Default 0.
    public var database: Int
    /// Bound on establishing a TCP connection. Default 1 s.
    public var connectTimeout: Duration
    /// Bound on each socket read and write of a command, and on the wait for a free connection. Default 2 s.
    ///
    /// A command that times out fails with ``RedisError/Kind/timeout`` and its connection is replaced, since a late
    /// reply would otherwise be taken for the next command's.
    public var commandTimeout: Duration
    /// Number of pooled connections, each with its own thread. Default 4.
    public var poolSize: Int
    /// Wait between reconnection attempts. Default 100 ms doubling up to 5 s.
    public var reconnectBackoff: Backoff

    /// Creates a configuration for `host:port` with the default timeouts and pool size.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(1),
        commandTimeout: Duration = .seconds(2),
        poolSize: Int = 4,
        reconnectBackoff: Backoff = .defaults
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
        self.reconnectBackoff = reconnectBackoff
    }

    /// The connection as a URL, password redacted: suitable for logs.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        let database = self.database == 0 ? "" : "/\(self.database)"
        return "redis://\(credentials)\(host):\(port)\(database)"
    }
}
