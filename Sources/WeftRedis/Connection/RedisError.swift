/// An error of the Redis layer: what went wrong (``Kind``), a message naming it, and the underlying cause.
///
/// ``RedisClient`` drops the connection after a `connection`, `timeout` or `protocol` error and reconnects on a
/// later command; a `server` error (an error reply such as `WRONGTYPE`) leaves the connection usable.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Sendable, Hashable {
        /// Redis could not be reached, the connection broke, or the client was shut down.
        case connection
        /// A command (or the wait for a free connection) took longer than the command timeout.
        case timeout
        /// Redis answered with an error reply; ``RedisError/message`` holds it (e.g. `WRONGTYPE …`).
        case server
        /// The reply could not be parsed or had an unexpected shape.
        case `protocol`
        /// A configuration value (such as a `REDIS_URL`) is invalid.
        case configuration
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// A human-readable description; for ``Kind/server`` the error reply itself.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.cause = cause
    }

    /// The kind of failure and the message, e.g. `Redis timeout: no reply within 2.0 seconds (GET)`.
    public var description: String {
        switch kind {
        case .connection: "Redis connection error: \(message)"
        case .timeout: "Redis timeout: \(message)"
        case .server: "Redis error reply: \(message)"
        case .protocol: "Redis protocol error: \(message)"
        case .configuration: "Redis configuration error: \(message)"
        }
    }

    /// True when the connection that produced this error must not be used again.
    var breaksConnection: Bool { kind != .server && kind != .configuration }
}
