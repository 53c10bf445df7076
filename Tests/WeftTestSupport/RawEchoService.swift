import WeftHTTP2
public import WeftRPC

/// A service on raw bytes for transport tests: every method is an inline unary handler, so a call completes
/// inside the transport's read with no task or thread hop (and so works on an embedded event loop).
///
/// - `Echo` returns the request bytes.
/// - `Fail` throws the configured ``RPCError``.
/// - `Crash` throws an error that is not an ``RPCError`` (the client must see UNKNOWN without its text).
/// - `Metadata` returns the request metadata as `key=value` lines, `-bin` values re-encoded as unpadded base64.
public struct RawEchoService: RPCService {
    /// The fully qualified name the service registers.
    public static let name = "weft.test.RawEcho"

    /// Thrown by `Crash`; its text must never reach a client.
    public struct Crash: Error, CustomStringConvertible {
        public var description: String { "secret internal detail" }
    }

    /// What `Fail` throws.
    public var failure: RPCError

    public init(failure: RPCError = RPCError(code: .notFound, message: "x\ny")) {
        self.failure = failure
    }

    /// The `:path` of one of the methods.
    public static func path(_ method: String) -> String { "/\(name)/\(method)" }

    public var serviceName: String { Self.name }

    public var methods: [(method: String, handler: RPCHandler)] {
        let failure = failure
        return [
            ("Echo", .inlineUnary { request, _ in request }),
            ("Fail", .inlineUnary { _, _ in throw failure }),
            ("Crash", .inlineUnary { _, _ in throw Crash() }),
            (
                "Metadata",
                .inlineUnary { _, context in
                    var lines = ""
                    for entry in context.metadata {
                        switch entry.value {
                        case .string(let value): lines += "\(entry.key)=\(value)\n"
                        case .binary(let bytes): lines += "\(entry.key)=\(MetadataBase64.encode(bytes))\n"
                        }
                    }
                    return Array(lines.utf8)
                }
            ),
        ]
    }
}
