/// The durable state that goes with one event.
///
/// A durable event log (Redis) writes it in the same atomic step as the event, so a state is never announced before
/// it is stored and never stored without its event; the in-memory log ignores it. The workflow's run loop makes one
/// for every event it appends.
public struct WorkflowCheckpoint: Sendable, Hashable {
    /// The accepted workflow, on its first event only: a durable log stores it before ``WorkflowEngine/submit(_:)``
    /// returns, and refuses the append (UNAVAILABLE) rather than buffer it.
    public var accepted: AcceptedWorkflow?
    /// The workflow's final status and end time, on the terminal event.
    public var finished: (status: WorkflowStatus, unixMs: UInt64)? {
        get { finishedStatus.map { ($0, finishedUnixMs) } }
        set {
            finishedStatus = newValue?.status
            finishedUnixMs = newValue?.unixMs ?? 0
        }
    }
    /// The tasks whose state this event announces (all of them on the terminal event).
    public var tasks: [TaskState]
    /// Tasks a META task's result added (on its `task_completed` event), with the META task's id.
    public var expansion: (parentTaskID: String, tasks: [TaskSpec])? {
        get { expansionParent.map { ($0, expansionTasks) } }
        set {
            expansionParent = newValue?.parentTaskID
            expansionTasks = newValue?.tasks ?? []
        }
    }

    private var finishedStatus: WorkflowStatus?
    private var finishedUnixMs: UInt64 = 0
    private var expansionParent: String?
    private var expansionTasks: [TaskSpec] = []

    public init(accepted: AcceptedWorkflow? = nil, tasks: [TaskState] = []) {
        self.accepted = accepted
        self.tasks = tasks
    }

    /// Nothing but the event.
    public static var none: WorkflowCheckpoint { WorkflowCheckpoint() }
}

/// A workflow as accepted: what a restart needs to run it again.
public struct AcceptedWorkflow: Sendable, Hashable {
    public var spec: WorkflowSpec
    public var createdUnixMs: UInt64

    public init(spec: WorkflowSpec, createdUnixMs: UInt64) {
        self.spec = spec
        self.createdUnixMs = createdUnixMs
    }
}
