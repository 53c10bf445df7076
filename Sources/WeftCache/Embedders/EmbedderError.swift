/// Why an embedder produced no vectors. The cache turns every one into a miss and a warning.
public struct EmbedderError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// The request could not be sent or the connection failed.
        case transport
        /// No complete reply within the configured timeout.
        case timeout
        /// The server answered with a non-2xx status.
        case httpStatus(Int)
        /// The reply was not the expected JSON, had the wrong number of vectors, wrong lengths or non-finite values.
        case malformedReply
        /// The embedder's configuration cannot work (bad URL).
        case invalidConfiguration
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
