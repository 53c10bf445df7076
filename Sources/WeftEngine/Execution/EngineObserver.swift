/// Hears what the engine does to workflows and tasks, for metrics and logs: the engine itself neither logs nor
/// measures. Called from each workflow's loop, in the order things happen; an implementation must return quickly
/// and never block. Every method has a no-op default.
public protocol EngineObserver: Sendable {
    /// A workflow was accepted and will run.
    func workflowAccepted(workflowID: String, taskCount: Int)
    /// A workflow ended: `status` is COMPLETED, FAILED or CANCELLED; `duration` since it started running.
    func workflowFinished(workflowID: String, status: WorkflowStatus, duration: Duration)
    /// An attempt of a task started (attempt 1 is the first run, later ones are retries).
    func attemptStarted(workflowID: String, taskID: String, attempt: Int)
    /// An attempt failed; `willRetry` tells whether another attempt follows. A heartbeat timeout has
    /// `failure.type == "HeartbeatTimeout"`.
    func attemptFailed(workflowID: String, taskID: String, attempt: Int, failure: ActivityFailure, willRetry: Bool)
    /// A task reached its final status: COMPLETED, FAILED, SKIPPED or CANCELLED.
    func taskFinished(workflowID: String, taskID: String, status: TaskStatus)
    /// The workflow's ready queue (tasks whose dependencies are done, waiting for a slot or their batch) grew or
    /// shrank by `delta`; it is back to zero when the workflow ends. The sum over workflows is the engine's.
    func readyTasksChanged(workflowID: String, by delta: Int)
}

extension EngineObserver {
    public func workflowAccepted(workflowID: String, taskCount: Int) {}
    public func workflowFinished(workflowID: String, status: WorkflowStatus, duration: Duration) {}
    public func attemptStarted(workflowID: String, taskID: String, attempt: Int) {}
    public func attemptFailed(workflowID: String, taskID: String, attempt: Int, failure: ActivityFailure, willRetry: Bool) {}
    public func taskFinished(workflowID: String, taskID: String, status: TaskStatus) {}
    public func readyTasksChanged(workflowID: String, by delta: Int) {}
}

/// The observer that hears nothing: the engine's default.
public struct NoEngineObserver: EngineObserver {
    public init() {}
}
