import CoreMetrics

/// Latency and errors of Redis commands, through swift-metrics (exported when weftd serves `/metrics`; a no-op
/// otherwise): `weft_redis_command_duration_seconds` (a timer) and `weft_redis_command_errors_total` (a counter),
/// both labelled by `command` (the command's name, or `PIPELINE` for several sent together); errors also by `kind`.
enum RedisCommandMetrics {
    static let durationLabel = "weft_redis_command_duration_seconds"
    static let errorsLabel = "weft_redis_command_errors_total"

    /// The `command` label of a job.
    static func name(of commands: [[RedisArgument]]) -> String {
        guard commands.count == 1, let first = commands.first?.first else { return "PIPELINE" }
        return String(decoding: first.bytes, as: UTF8.self).uppercased()
    }

    static func record(_ commands: [[RedisArgument]], duration: Duration, error: RedisError?) {
        let command = name(of: commands)
        let (seconds, attoseconds) = duration.components
        Timer(label: durationLabel, dimensions: [("command", command)])
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        if let error {
            Counter(label: errorsLabel, dimensions: [("command", command), ("kind", "\(error.kind)")]).increment()
        }
    }
}
