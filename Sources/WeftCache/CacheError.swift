/// An error of the cache's own stores: a code, a message and the underlying cause.
public struct CacheError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// The entry does not fit the store (wrong vector length, inconsistent fields).
        case invalidEntry
        /// The backing service is unreachable or timed out.
        case unavailable
        /// A bug or an unexpected state.
        case `internal`
    }

    /// What went wrong.
    public var code: Code
    /// A message naming the problem.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message, and the cause's description when there is one.
    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}
