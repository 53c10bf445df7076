/// One attempt of a task, as an executor sees it.
public struct Activity: Sendable {
    public var workflowID: String
    public var task: TaskSpec
    /// 1 for the first attempt.
    public var attempt: Int
    /// The workflow's constraints (language, framework, …).
    public var constraints: [String: String]
    /// The last details an earlier attempt recorded with a heartbeat, to resume progress.
    public var lastHeartbeatDetails: String
    /// A similar cached result to adapt, when the cache said "adapt".
    public var reference: TaskResult?
    /// How long this attempt may take in all, and between heartbeats.
    public var startToCloseTimeout: Duration
    public var heartbeatTimeout: Duration

    public init(
        workflowID: String, task: TaskSpec, attempt: Int, constraints: [String: String] = [:],
        lastHeartbeatDetails: String = "", reference: TaskResult? = nil,
        startToCloseTimeout: Duration, heartbeatTimeout: Duration
    ) {
        self.workflowID = workflowID
        self.task = task
        self.attempt = attempt
        self.constraints = constraints
        self.lastHeartbeatDetails = lastHeartbeatDetails
        self.reference = reference
        self.startToCloseTimeout = startToCloseTimeout
        self.heartbeatTimeout = heartbeatTimeout
    }
}

/// Records a heartbeat of the running attempt; cheap and safe to call from any task, as often as wanted.
public struct HeartbeatRecorder: Sendable {
    private let record: @Sendable (String) -> Void
    private let start: @Sendable () -> Void

    public init(_ record: @escaping @Sendable (String) -> Void) {
        self.init(record, started: {})
    }

    /// A recorder that also hears ``markStarted()``.
    public init(_ record: @escaping @Sendable (String) -> Void, started: @escaping @Sendable () -> Void) {
        self.record = record
        start = started
    }

    /// Resets the heartbeat deadline; `details` are kept for the next attempt.
    public func callAsFunction(_ details: String = "") { record(details) }

    /// For executors that wait for pickup (``ActivityExecutor/waitsForPickup``): the attempt has started running,
    /// so its start-to-close and heartbeat clocks start now. Later calls do nothing.
    public func markStarted() { start() }
}

/// What a successful attempt produced.
public struct ActivityOutput: Sendable, Hashable {
    public var output: String
    /// New tasks from a META task (a planner decomposing a description); they depend on it.
    public var newTasks: [TaskSpec]

    public init(output: String, newTasks: [TaskSpec] = []) {
        self.output = output
        self.newTasks = newTasks
    }
}

/// A failed attempt. Non-retryable failures end the task at once.
public struct ActivityFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// A short classification, matched against `RetryPolicy.nonRetryableErrorTypes`.
    public var type: String
    public var retryable: Bool

    public init(_ message: String, type: String = "ActivityError", retryable: Bool = true) {
        self.message = message
        self.type = type
        self.retryable = retryable
    }

    public var description: String { "\(type): \(message)" }
}

/// Runs activities. An executor must stop promptly when its task is cancelled (timeouts and workflow
/// cancellation cancel it) and should heartbeat while it works.
public protocol ActivityExecutor: Sendable {
    /// Runs one attempt; throws ``ActivityFailure`` (or any error, treated as a retryable failure).
    func execute(_ activity: Activity, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput

    /// Whether an attempt first waits to be picked up (a task queue of remote workers): then its start-to-close
    /// and heartbeat timeouts count from ``HeartbeatRecorder/markStarted()``, not from the call to ``execute``, and
    /// the executor bounds the wait itself (schedule-to-start). Default false.
    var waitsForPickup: Bool { get }
}

extension ActivityExecutor {
    public var waitsForPickup: Bool { false }
}
