/// Limits past which `SubmitWorkflow` answers RESOURCE_EXHAUSTED instead of accepting more work. What was
/// already accepted is never affected; submissions are accepted again as soon as work finishes.
public struct OverloadSettings: Sendable {
    /// Workflows running at once (`--max-running-workflows`). Default 1000.
    public var maxRunningWorkflows: Int = 1000
    /// Tasks not yet finished across the running workflows, counting a new submission's tasks in full
    /// (`--max-pending-tasks`). Default 100000.
    public var maxPendingTasks: Int = 100_000
    /// Activities of `queue:NAME` tasks waiting for a worker on this process (`--max-queued-activities`): the server
    /// adds it as the `queued_activities` probe. Default 100000.
    public var maxQueuedActivities: Int = 100_000
    /// Further resources other parts of the server measure (queued activities, buffered event bytes): each is
    /// checked on every submission and exported with the others. Default none.
    public var probes: [OverloadProbe] = []

    public init() {}

    /// The documented defaults.
    public static var defaults: OverloadSettings { OverloadSettings() }
}

/// One more resource for admission control: a submission is refused while `current()` is at or above `limit`.
///
/// This is the hook for measures that live elsewhere, e.g. a worker queue's depth or an event buffer's size:
/// `OverloadProbe(resource: "queued_activities", flag: "--max-queued-activities", limit: 5000) { queue.depth }`.
public struct OverloadProbe: Sendable {
    /// The `resource` label of the `weft_overload_*` gauges, e.g. `queued_activities`.
    public var resource: String
    /// The flag (or setting) an operator changes to raise the limit; named in the RESOURCE_EXHAUSTED message.
    public var flag: String
    public var limit: Int
    /// The current use; called on every submission and scrape, so it must be cheap and must not block.
    public var current: @Sendable () -> Int

    public init(resource: String, flag: String, limit: Int, current: @escaping @Sendable () -> Int) {
        self.resource = resource
        self.flag = flag
        self.limit = limit
        self.current = current
    }
}
