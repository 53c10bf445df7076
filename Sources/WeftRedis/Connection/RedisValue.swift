/// A reply from Redis (RESP2), converted from hiredis' reply object.
///
/// ``RedisClient/command(_:)-(RedisArgument...)`` throws a ``RedisError`` of kind ``RedisError/Kind/server`` for an
/// error reply, so `.error` is only seen inside arrays and in ``RedisClient/pipeline(_:)`` results.
public enum RedisValue: Sendable, Hashable, CustomStringConvertible {
    /// A bulk string, binary-safe.
    case string([UInt8])
    /// An integer reply.
    case integer(Int64)
    /// A multi-bulk reply.
    case array([RedisValue])
    /// A nil bulk string or nil array (`GET` of a missing key).
    case null
    /// A status reply such as `OK` or `PONG`.
    case status(String)
    /// An error reply such as `ERR unknown command`.
    case error(String)

    /// The bytes of a bulk string or status reply; nil otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .string(let bytes): bytes
        case .status(let status): Array(status.utf8)
        default: nil
        }
    }

    /// The UTF-8 text of a bulk string or status reply (invalid sequences repaired); an integer in decimal.
    public var string: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let status): status
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .string(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of an array reply; nil otherwise.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    /// True for a nil reply.
    public var isNull: Bool { self == .null }

    /// A redis-cli-like rendering, for logs and test failures.
    public var description: String {
        switch self {
        case .string(let bytes): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .integer(let value): "(integer) \(value)"
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: "(nil)"
        case .status(let status): status
        case .error(let message): "(error) \(message)"
        }
    }
}
