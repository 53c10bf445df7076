/// The `grpc-timeout` header: 1 to 8 ASCII digits followed by a unit, `H M S m u n`.
///
/// grpc-go sends the finest unit whose value fits in 8 digits (`9999987u` for ten seconds) and `0n` once the
/// deadline has passed, so every unit and a zero value must be accepted. Anything else is malformed.
public enum GRPCTimeout {
    /// Parses a header value; `nil` when malformed (empty, no digits, more than 8 digits, unknown unit).
    public static func parse(_ value: some Collection<UInt8>) -> Duration? {
        guard value.count >= 2, value.count <= 9 else { return nil }
        var amount: Int64 = 0
        var digits = 0
        var unit: UInt8 = 0
        for (index, byte) in value.enumerated() {
            if index == value.count - 1 {
                unit = byte
            } else {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                amount = amount * 10 + Int64(byte - UInt8(ascii: "0"))
                digits += 1
            }
        }
        guard digits >= 1, digits <= 8 else { return nil }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(amount * 3600)
        case UInt8(ascii: "M"): return .seconds(amount * 60)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }

    /// Parses a header value given as a string.
    public static func parse(_ value: String) -> Duration? { parse(Array(value.utf8)) }

    /// Encodes a duration with the finest unit whose value fits in 8 digits; negative durations encode as `0n`.
    public static func encode(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return "0n" }
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        // Sub-nanosecond remainders round up too, and a sum past Int64.max saturates instead of wrapping negative.
        let sum = nanos.partialValue.addingReportingOverflow((attoseconds + 999_999_999) / 1_000_000_000)
        let totalNanos = nanos.overflow || sum.overflow ? Int64.max : sum.partialValue
        let units: [(Int64, Character)] = [
            (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"),
            (3_600_000_000_000, "H"),
        ]
        for (scale, unit) in units {
            // Round up so the client never asks for less time than it has.
            let value = totalNanos / scale + (totalNanos % scale == 0 ? 0 : 1)
            if value < 100_000_000 { return "\(value)\(unit)" }
        }
        return "99999999H"
    }
}
