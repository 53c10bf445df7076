import CoreMetrics
import Synchronization

/// Latency and errors of Redis commands, through swift-metrics (exported when weftd serves `/metrics`; a no-op
/// otherwise): `weft_redis_command_duration_seconds` (a timer) and `weft_redis_command_errors_total` (a counter),
/// both labelled by `command` (the command's name, or `PIPELINE` for several sent together); errors also by `kind`.
final class RedisCommandMetrics: Sendable {
    static let durationLabel = "weft_redis_command_duration_seconds"
    static let errorsLabel = "weft_redis_command_errors_total"

    private let factory: any MetricsFactory
    /// Timers by command, made once each (commands are a small fixed set).
    private let timers = Mutex<[String: Timer]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// The `command` label of a job.
    static func name(of commands: [[RedisArgument]]) -> String {
        guard commands.count == 1, let first = commands.first?.first else { return "PIPELINE" }
        return String(decoding: first.bytes, as: UTF8.self).uppercased()
    }

    func record(_ commands: [[RedisArgument]], duration: Duration, error: RedisError?) {
        let command = Self.name(of: commands)
        let timer = timers.withLock { timers in
            if let timer = timers[command] { return timer }
            let timer = Timer(label: Self.durationLabel, dimensions: [("command", command)], factory: factory)
            timers[command] = timer
            return timer
        }
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        if let error {
            Counter(label: Self.errorsLabel, dimensions: [("command", command), ("kind", "\(error.kind)")], factory: factory)
                .increment()
        }
    }
}
