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
        /// Callers waiting for the workflow to end.
        var finishWaiters: [CheckedContinuation<Void, Never>] = []

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

    /// Marks the workflow finished with `status` and wakes everyone waiting for it. The last sequence becomes that of
    /// the terminal event about to be appended, so the final snapshot never names an earlier one.
    func finish(status: WorkflowStatus, at unixMs: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.status = status
            state.finishedUnixMs = unixMs
            // The workflow's loop is its only writer and sequences have no gaps: the terminal event comes next.
            state.lastSequence += 1
            state.runningCount = 0
            defer { state.finishWaiters = [] }
            return state.finishWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the workflow has finished.
    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.status.isFinished { return true }
                state.finishWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

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
