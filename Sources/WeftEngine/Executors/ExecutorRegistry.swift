/// The executors a server offers, by the name tasks give: `sim`, `exec:NAME` for each configured command,
/// `queue:NAME` for any valid NAME when there is an ``ActivityBroker`` (remote workers), and any others.
///
/// Validation asks ``isKnown(_:)`` so that clients can name only what the operator configured; the engine asks
/// ``executor(for:)`` for each attempt.
public struct ExecutorRegistry: Sendable {
    /// The simulator, or nil when `sim` is not offered.
    public let sim: SimExecutor?
    /// The configured commands, or nil when no `exec:` executor is offered.
    public let exec: ExecExecutor?
    /// Routes `queue:NAME` tasks to remote workers, or nil when there are none.
    public let broker: (any ActivityBroker)?
    /// Further executors by exact name.
    public let others: [String: any ActivityExecutor]

    /// Makes a registry; an entry of `others` named `sim`, `exec:NAME` or (with a broker) `queue:NAME` is shadowed.
    public init(
        sim: SimExecutor?, exec: ExecExecutor?, broker: (any ActivityBroker)? = nil,
        others: [String: any ActivityExecutor] = [:]
    ) {
        self.sim = sim
        self.exec = exec
        self.broker = broker
        self.others = others
    }

    /// The executor for `name`, or nil when no such executor is offered (`exec:NAME` only for configured NAMEs).
    ///
    /// For `exec:NAME` the executor returned runs that command whatever the task's own executor field says, so it
    /// also serves a default executor given by name.
    public func executor(for name: String) -> (any ActivityExecutor)? {
        if name == "sim", let sim { return sim }
        if name.hasPrefix("exec:"), let exec {
            let command = String(name.dropFirst("exec:".count))
            if exec.hasCommand(command) { return BoundExecCommand(exec: exec, command: command) }
        }
        if name.hasPrefix(Self.queuePrefix), let broker {
            let queue = String(name.dropFirst(Self.queuePrefix.count))
            if broker.config.problem(withQueueName: queue) == nil { return QueueExecutor(broker: broker, queue: queue) }
            return nil
        }
        return others[name]
    }

    /// The prefix of executor names that route to a worker queue.
    public static let queuePrefix = "queue:"

    /// Whether tasks may name `name` as their executor.
    public func isKnown(_ name: String) -> Bool { executor(for: name) != nil }

    /// Every name ``executor(for:)`` accepts, sorted: for error messages and listings.
    public var knownNames: [String] {
        var names = Set(others.keys)
        if sim != nil { names.insert("sim") }
        for command in exec?.commandNames ?? [] { names.insert("exec:\(command)") }
        if broker != nil { names.insert("\(Self.queuePrefix)NAME") }
        return names.sorted()
    }
}

/// One configured command of an ``ExecExecutor``, as an executor of its own.
struct BoundExecCommand: ActivityExecutor {
    var exec: ExecExecutor
    var command: String

    func execute(_ activity: Activity, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput {
        try await exec.execute(command: command, activity, heartbeat: heartbeat)
    }
}
