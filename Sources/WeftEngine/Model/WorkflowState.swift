/// The lifecycle of a workflow.
public enum WorkflowStatus: String, Sendable, Hashable, CaseIterable {
    case pending = "PENDING"
    case running = "RUNNING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case cancelled = "CANCELLED"

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// The lifecycle of a task.
public enum TaskStatus: String, Sendable, Hashable, CaseIterable {
    /// Waiting for dependencies.
    case pending = "PENDING"
    /// Dependencies done, waiting for a slot.
    case ready = "READY"
    case running = "RUNNING"
    /// An attempt failed; the next one is scheduled.
    case retrying = "RETRYING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    /// A dependency failed for good.
    case skipped = "SKIPPED"
    case cancelled = "CANCELLED"

    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .skipped, .cancelled: true
        default: false
        }
    }
}

/// A task's state in a snapshot.
public struct TaskState: Sendable, Hashable {
    public var taskID: String
    public var status: TaskStatus
    public var attempt: Int
    public var priority: Int
    public var output: String
    public var error: String
    public var cache: CacheOutcome?
    public var startedUnixMs: UInt64
    public var finishedUnixMs: UInt64

    public init(taskID: String, status: TaskStatus = .pending, attempt: Int = 0, priority: Int = 0) {
        self.taskID = taskID
        self.status = status
        self.attempt = attempt
        self.priority = priority
        output = ""
        error = ""
        cache = nil
        startedUnixMs = 0
        finishedUnixMs = 0
    }
}

/// A workflow snapshot for polling clients.
public struct WorkflowSnapshot: Sendable, Hashable {
    public var workflowID: String
    public var status: WorkflowStatus
    public var description: String
    public var progress: Progress
    public var tasks: [TaskState]
    public var createdUnixMs: UInt64
    public var finishedUnixMs: UInt64
    public var lastSequence: UInt64
    public var cache: CacheSummary

    public init(workflowID: String, status: WorkflowStatus, description: String, progress: Progress,
                tasks: [TaskState], createdUnixMs: UInt64, finishedUnixMs: UInt64, lastSequence: UInt64,
                cache: CacheSummary) {
        self.workflowID = workflowID
        self.status = status
        self.description = description
        self.progress = progress
        self.tasks = tasks
        self.createdUnixMs = createdUnixMs
        self.finishedUnixMs = finishedUnixMs
        self.lastSequence = lastSequence
        self.cache = cache
    }
}
