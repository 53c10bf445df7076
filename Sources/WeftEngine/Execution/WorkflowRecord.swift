import Synchronization

/// What a workflow's snapshot is made of: written by the workflow's run loop, read by any caller.
final class WorkflowRecord: Sendable {
    struct State: Sendable {
        var status: WorkflowStatus = .pending
        var tasks: [TaskState]
        var finishedUnixMs: UInt64 = 0
        var lastSequence: UInt64 = 0
        var cache = CacheSummary()
        /// Finished (completed, failed, skipped, cancelled) tasks.
        var completedCount = 0
        var runningCount = 0

        var progress: Progress { Progress(completed: completedCount, total: tasks.count, running: runningCount) }
    }

    let workflowID: String
    let spec: WorkflowSpec
    let createdUnixMs: UInt64
    /// Submission order, for listing newest first and stable page tokens.
    let ordinal: UInt64
    private let state: Mutex<State>

    init(workflowID: String, spec: WorkflowSpec, graph: TaskGraph, createdUnixMs: UInt64, ordinal: UInt64) {
        self.workflowID = workflowID
        self.spec = spec
        self.createdUnixMs = createdUnixMs
        self.ordinal = ordinal
        let tasks = graph.tasks.indices.map { index in
            TaskState(taskID: graph.tasks[index].id, priority: graph.priorities[index])
        }
        state = Mutex(State(tasks: tasks))
    }

    func update<R>(_ body: (inout State) -> R) -> R {
        state.withLock { body(&$0) }
    }

    var status: WorkflowStatus { state.withLock { $0.status } }

    func snapshot() -> WorkflowSnapshot {
        state.withLock { state in
            WorkflowSnapshot(
                workflowID: workflowID, status: state.status, description: spec.description, progress: state.progress,
                tasks: state.tasks, createdUnixMs: createdUnixMs, finishedUnixMs: state.finishedUnixMs,
                lastSequence: state.lastSequence, cache: state.cache)
        }
    }

    func summary() -> WorkflowSummary {
        state.withLock { state in
            WorkflowSummary(
                workflowID: workflowID, status: state.status, description: spec.description, progress: state.progress,
                createdUnixMs: createdUnixMs)
        }
    }
}

/// One line of a workflow listing.
public struct WorkflowSummary: Sendable, Hashable {
    public var workflowID: String
    public var status: WorkflowStatus
    public var description: String
    public var progress: Progress
    public var createdUnixMs: UInt64
}
