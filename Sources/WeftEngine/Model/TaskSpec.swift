/// How much work a task is: drives its priority and its default start-to-close timeout.
public enum Complexity: String, Sendable, Hashable, CaseIterable, Codable {
    case simple = "SIMPLE"
    case medium = "MEDIUM"
    case complex = "COMPLEX"
    case meta = "META"

    /// COMPLEX and META tasks get `LONG_ACTIVITY_TIMEOUT`, the others `ACTIVITY_TIMEOUT`.
    public var isLong: Bool { self == .complex || self == .meta }
}

/// Retry policy of an activity (Temporal's semantics). `nil` fields take the engine's defaults.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, including the first; 1 means no retries.
    public var maxAttempts: Int?
    public var initialInterval: Duration?
    public var backoffCoefficient: Double?
    public var maxInterval: Duration?
    /// Failure types that are never retried.
    public var nonRetryableErrorTypes: Set<String>

    public init(
        maxAttempts: Int? = nil, initialInterval: Duration? = nil, backoffCoefficient: Double? = nil,
        maxInterval: Duration? = nil, nonRetryableErrorTypes: Set<String> = []
    ) {
        self.maxAttempts = maxAttempts
        self.initialInterval = initialInterval
        self.backoffCoefficient = backoffCoefficient
        self.maxInterval = maxInterval
        self.nonRetryableErrorTypes = nonRetryableErrorTypes
    }
}

/// Activity timeouts; `nil` takes the workflow's, then the engine's default.
public struct ActivityTimeouts: Sendable, Hashable {
    public var startToClose: Duration?
    public var heartbeat: Duration?
    /// Remote queues only: how long a task may wait for a worker. `nil` = off.
    public var scheduleToStart: Duration?

    public init(startToClose: Duration? = nil, heartbeat: Duration? = nil, scheduleToStart: Duration? = nil) {
        self.startToClose = startToClose
        self.heartbeat = heartbeat
        self.scheduleToStart = scheduleToStart
    }
}

/// One node of a workflow's DAG, as submitted.
public struct TaskSpec: Sendable, Hashable {
    public var id: String
    /// Free text; security/auth, database, api and tests drive priority.
    public var type: String
    public var complexity: Complexity
    public var description: String
    public var dependsOn: [String]
    /// `sim`, `exec:NAME` or `queue:NAME`; empty means the engine's default executor.
    public var executor: String
    /// JSON text handed to the executor.
    public var input: String
    public var timeouts: ActivityTimeouts
    public var retryPolicy: RetryPolicy?
    /// Whether the result cache may be read and written for this task.
    public var cacheable: Bool

    public init(
        id: String, type: String = "", complexity: Complexity = .medium, description: String = "",
        dependsOn: [String] = [], executor: String = "", input: String = "",
        timeouts: ActivityTimeouts = ActivityTimeouts(), retryPolicy: RetryPolicy? = nil, cacheable: Bool = true
    ) {
        self.id = id
        self.type = type
        self.complexity = complexity
        self.description = description
        self.dependsOn = dependsOn
        self.executor = executor
        self.input = input
        self.timeouts = timeouts
        self.retryPolicy = retryPolicy
        self.cacheable = cacheable
    }
}
