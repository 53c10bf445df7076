/// The outcome of an RPC that did not succeed: a status code, a human-readable message and trailing metadata.
///
/// Handlers throw it to choose the status a client sees; any other error thrown by a handler reaches the client as
/// `UNKNOWN` with a generic message, so internals never leak.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    /// The gRPC status code; never ``StatusCode/ok``.
    public var code: StatusCode
    /// Sent percent-encoded in `grpc-message`.
    public var message: String
    /// Trailing metadata sent with the status.
    public var metadata: Metadata
    /// The underlying error, for logs; never sent to the client.
    public var cause: (any Error)?

    /// Creates an error; a code of OK is turned into UNKNOWN, since OK is not an error.
    public init(code: StatusCode, message: String, metadata: Metadata = Metadata(), cause: (any Error)? = nil) {
        self.code = code == .ok ? .unknown : code
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }
}

extension RPCError {
    /// Maps any error a handler threw to the status sent to the client.
    public init(from error: any Error) {
        switch error {
        case let rpcError as RPCError:
            self = rpcError
        case is CancellationError:
            self.init(code: .cancelled, message: "the call was cancelled", cause: error)
        default:
            self.init(code: .unknown, message: "the handler failed", cause: error)
        }
    }
}

/// The final status of an RPC as a client sees it.
public struct RPCStatus: Sendable, Hashable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String

    public init(code: StatusCode, message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = RPCStatus(code: .ok)

    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}
