/// One argument of a Redis command: a binary-safe byte string.
///
/// Strings are sent as UTF-8, integers in decimal; bytes are sent as they are, embedded NULs included.
/// Literals work directly: `client.command("SET", "key", 42)`.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringInterpolation
{
    /// The bytes sent to Redis.
    public var bytes: [UInt8]

    /// An argument holding `bytes` unchanged.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// An argument holding the UTF-8 encoding of `string`.
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// An argument holding the decimal representation of `value`.
    public init<Value: BinaryInteger>(_ value: Value) { self.bytes = Array(String(value).utf8) }

    /// An argument holding the UTF-8 encoding of a string literal.
    public init(stringLiteral value: String) { self.init(value) }

    /// An argument holding the decimal representation of an integer literal.
    public init(integerLiteral value: Int) { self.init(value) }
}

/// Shorthand for ``RedisArgument``.
public typealias RedisArg = RedisArgument
