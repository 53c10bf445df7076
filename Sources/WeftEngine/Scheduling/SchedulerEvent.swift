/// What the ``Scheduler`` asks its caller to do or to report, in order. Tasks are graph indices.
public enum SchedulerEvent: Sendable, Hashable {
    /// BATCH mode: batch `index` (0, 1, 2, … across the workflow) starts with these tasks, in priority order; the
    /// `.start` of each follows.
    case batchStarted(index: Int, tasks: [Int])
    /// Start this task now (its dependencies succeeded and a slot is free). Start them in the order given.
    case start(Int)
    /// BATCH mode: every task of batch `index` reached a final state (succeeded or failed).
    case batchCompleted(index: Int, tasks: [Int])
    /// This task will never run: `because` is the task that failed for good upstream of it.
    case skipped(Int, because: Int)
}
