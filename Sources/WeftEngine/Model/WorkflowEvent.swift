/// A task's place in the plan returned on submission.
public struct PlannedTask: Sendable, Hashable {
    public var taskID: String
    public var priority: Int

    public init(taskID: String, priority: Int) {
        self.taskID = taskID
        self.priority = priority
    }
}

/// A group of the plan: in BATCH mode the batches as they would run if nothing failed; in EAGER mode the
/// dependency levels, each ordered by priority.
public struct PlannedBatch: Sendable, Hashable {
    public var index: Int
    public var tasks: [PlannedTask]

    public init(index: Int, tasks: [PlannedTask]) {
        self.index = index
        self.tasks = tasks
    }
}

/// Where a task's result came from.
public enum CacheOutcome: Sendable, Hashable {
    case miss
    case reused(similarity: Double, source: String)
    case adapted(similarity: Double, source: String)
    /// Not cacheable, or the cache is off.
    case bypassed
}

/// A completed task's result.
public struct TaskResult: Sendable, Hashable {
    public var taskID: String
    /// Empty when result streaming is off (in events; snapshots keep it).
    public var output: String
    public var cache: CacheOutcome
    public var attempt: Int
    public var duration: Duration

    public init(taskID: String, output: String, cache: CacheOutcome = .bypassed, attempt: Int, duration: Duration) {
        self.taskID = taskID
        self.output = output
        self.cache = cache
        self.attempt = attempt
        self.duration = duration
    }
}

/// Cache figures of a workflow.
public struct CacheSummary: Sendable, Hashable {
    public var reused = 0
    public var adapted = 0
    public var missed = 0
    public var timeSaved: Duration = .zero

    public init() {}
}

/// Counts of a workflow's tasks.
public struct Progress: Sendable, Hashable {
    /// Tasks that reached a final state (completed, failed, skipped or cancelled).
    public var completed: Int
    public var total: Int
    public var running: Int

    public init(completed: Int = 0, total: Int = 0, running: Int = 0) {
        self.completed = completed
        self.total = total
        self.running = running
    }
}

/// One event in a workflow's history; `sequence` is 1, 2, 3, … with no gaps.
public struct WorkflowEvent: Sendable, Hashable {
    public enum Payload: Sendable, Hashable {
        case workflowAccepted(plan: [PlannedBatch], taskCount: Int)
        case batchStarted(index: Int, taskIDs: [String])
        case taskStarted(taskID: String, attempt: Int, executor: String)
        case taskHeartbeat(taskID: String, attempt: Int, details: String)
        case taskCompleted(TaskResult)
        case taskFailed(taskID: String, attempt: Int, error: String, errorType: String, willRetry: Bool, retryIn: Duration)
        case taskSkipped(taskID: String, reason: String)
        case batchCompleted(index: Int, results: [TaskResult])
        case workflowCompleted(duration: Duration, taskTime: Duration, cache: CacheSummary)
        case workflowFailed(error: String, failedTasks: [String], cache: CacheSummary)
        case workflowCancelled(reason: String)

        /// A short name for logs and stream summaries, e.g. `task_completed`.
        public var kind: String {
            switch self {
            case .workflowAccepted: "workflow_accepted"
            case .batchStarted: "batch_started"
            case .taskStarted: "task_started"
            case .taskHeartbeat: "task_heartbeat"
            case .taskCompleted: "task_completed"
            case .taskFailed: "task_failed"
            case .taskSkipped: "task_skipped"
            case .batchCompleted: "batch_completed"
            case .workflowCompleted: "workflow_completed"
            case .workflowFailed: "workflow_failed"
            case .workflowCancelled: "workflow_cancelled"
            }
        }

        /// True for the last event of a workflow.
        public var isTerminal: Bool {
            switch self {
            case .workflowCompleted, .workflowFailed, .workflowCancelled: true
            default: false
            }
        }
    }

    public var sequence: UInt64
    public var workflowID: String
    /// Milliseconds since the Unix epoch.
    public var timeUnixMs: UInt64
    public var progress: Progress
    public var payload: Payload

    public init(sequence: UInt64, workflowID: String, timeUnixMs: UInt64, progress: Progress, payload: Payload) {
        self.sequence = sequence
        self.workflowID = workflowID
        self.timeUnixMs = timeUnixMs
        self.progress = progress
        self.payload = payload
    }
}
