/// An error of the workflow engine: a code (mapped to one gRPC status at the API boundary), a message that names
/// the problem (task and field where there is one), and the underlying cause for logs.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The submission or request is malformed (INVALID_ARGUMENT).
        case invalidArgument
        /// No such workflow (NOT_FOUND).
        case notFound
        /// The request does not fit the workflow's state (FAILED_PRECONDITION).
        case failedPrecondition
        /// A limit was reached (RESOURCE_EXHAUSTED).
        case resourceExhausted
        /// A dependency (Redis, a worker queue) is unreachable (UNAVAILABLE).
        case unavailable
        /// A bug or an unexpected state (INTERNAL).
        case `internal`
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
