/// The field checks behind validation. Each returns the problem as text naming the field (`"type is 200 bytes, more
/// than the limit of 128"`) or nil; callers put the owner in front (`task "a": `), so that nothing is formatted for
/// the fields that are fine.
enum FieldRules {
    /// `field` longer than `limit` bytes of UTF-8.
    static func length(_ value: String, field: String, limit: Int) -> String? {
        let bytes = value.utf8.count
        return bytes > limit ? "\(field) is \(bytes) bytes, more than the limit of \(limit)" : nil
    }

    /// An id that is empty, too long, or has a character that is not printable or is a space.
    static func taskID(_ id: String, limit: Int) -> String? {
        if id.isEmpty { return "id is empty" }
        if let problem = length(id, field: "id", limit: limit) { return problem }
        for scalar in id.unicodeScalars where !isPrintableNonSpace(scalar) {
            return "id \(id.debugDescription) contains \(codePoint(scalar)); ids may contain only printable "
                + "non-space characters"
        }
        return nil
    }

    /// Letters, digits, punctuation and symbols; no whitespace, control, format, private-use or unassigned scalars.
    static func isPrintableNonSpace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value > 0x20 && scalar.value < 0x7F }
        if scalar.properties.isWhitespace { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator,
            .paragraphSeparator:
            return false
        default:
            return true
        }
    }

    /// `U+0000` style.
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// A present timeout that is zero or negative; `field` is the prefix, e.g. `timeouts` or `options.timeouts`.
    static func timeouts(_ timeouts: ActivityTimeouts, field: String) -> String? {
        let named: [(String, Duration?)] = [
            ("start_to_close", timeouts.startToClose), ("heartbeat", timeouts.heartbeat),
            ("schedule_to_start", timeouts.scheduleToStart),
        ]
        for (name, value) in named {
            if let value, value <= .zero { return "\(field).\(name) must be positive" }
        }
        return nil
    }

    /// Retry settings no retry loop can follow; `field` is the prefix, e.g. `retry_policy`.
    static func retryPolicy(_ policy: RetryPolicy, field: String) -> String? {
        if let attempts = policy.maxAttempts, attempts < 1 {
            return "\(field).max_attempts: \(attempts) is less than 1"
        }
        if let coefficient = policy.backoffCoefficient {
            if !coefficient.isFinite { return "\(field).backoff_coefficient: \(coefficient) is not a finite number" }
            if coefficient < 1 { return "\(field).backoff_coefficient: \(coefficient) is less than 1" }
        }
        if let initial = policy.initialInterval, initial < .zero {
            return "\(field).initial_interval must not be negative"
        }
        if let maximum = policy.maxInterval, maximum < .zero {
            return "\(field).max_interval must not be negative"
        }
        if let initial = policy.initialInterval, let maximum = policy.maxInterval, maximum < initial {
            return "\(field).max_interval (\(milliseconds(maximum))) is less than \(field).initial_interval "
                + "(\(milliseconds(initial)))"
        }
        if policy.nonRetryableErrorTypes.contains("") {
            return "\(field).non_retryable_error_types contains an empty type"
        }
        return nil
    }

    /// A threshold outside [0, 1] (NaN included).
    static func unitInterval(_ value: Double?, field: String) -> String? {
        guard let value, !(value >= 0 && value <= 1) else { return nil }
        return "\(field): \(value) is outside [0, 1]"
    }

    /// `1500 ms`.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }
}
