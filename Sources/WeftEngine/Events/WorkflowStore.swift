/// Where an engine finds, at start, the workflows a previous process accepted and did not finish.
///
/// A durable event log (Redis) is also the store: it wrote each workflow's spec, task states and last sequence with
/// its events (``WorkflowCheckpoint``). The embedded default, ``NoWorkflowStore``, has nothing to resume.
public protocol WorkflowStore: Sendable {
    /// The workflows to resume, oldest first, leaving out those `known` says this engine already has.
    /// - Throws: when the store cannot be read (nothing is resumed then; the caller tries again later).
    func activeWorkflows(skipping known: @Sendable (String) -> Bool) async throws -> [StoredWorkflow]

    /// One workflow as stored, whichever process runs or ran it; nil when the store does not hold it (never
    /// accepted, or expired after its retention). Reads only: nothing is claimed.
    /// - Throws: when the store cannot be read.
    func storedWorkflow(workflowID: String) async throws -> StoredWorkflow?

    /// Stored workflows, newest first (by creation time, then id descending), that come after `cursor` (nil: from
    /// the newest), at most `limit`; `exhausted` when there are no more. Whoever runs them.
    /// - Throws: when the store cannot be read.
    func storedWorkflows(after cursor: StoredWorkflowCursor?, limit: Int) async throws
        -> (workflows: [StoredWorkflow], exhausted: Bool)

    /// Asks whichever process runs the workflow to cancel it (the engine calls this for a workflow it does not run).
    /// - Throws: when the request cannot be sent.
    func requestCancel(workflowID: String, reason: String) async throws

    /// The cancellation requests other processes send (``requestCancel(workflowID:reason:)``), until cancelled.
    func cancelRequests() -> AsyncStream<(workflowID: String, reason: String)>
}

/// A position in a listing of stored workflows: the last one listed.
public struct StoredWorkflowCursor: Sendable, Hashable {
    public var createdUnixMs: UInt64
    public var workflowID: String

    public init(createdUnixMs: UInt64, workflowID: String) {
        self.createdUnixMs = createdUnixMs
        self.workflowID = workflowID
    }
}

extension WorkflowStore {
    public func storedWorkflow(workflowID: String) async throws -> StoredWorkflow? { nil }

    public func storedWorkflows(after cursor: StoredWorkflowCursor?, limit: Int) async throws
        -> (workflows: [StoredWorkflow], exhausted: Bool)
    {
        ([], true)
    }

    public func requestCancel(workflowID: String, reason: String) async throws {}

    public func cancelRequests() -> AsyncStream<(workflowID: String, reason: String)> { AsyncStream { $0.finish() } }
}

/// A workflow to resume after a restart, as its store kept it.
public struct StoredWorkflow: Sendable, Hashable {
    public var workflowID: String
    public var accepted: AcceptedWorkflow
    /// The last event written; the resumed run continues at the next sequence.
    public var lastSequence: UInt64
    /// The stored state of each task, by id (tasks never announced are absent).
    public var tasks: [String: TaskState]
    /// META expansions in the order they happened.
    public var expansions: [(parentTaskID: String, tasks: [TaskSpec])]
    /// As stored: PENDING until the terminal event, then COMPLETED, FAILED or CANCELLED.
    public var status: WorkflowStatus = .pending
    /// When the terminal event was written; 0 before.
    public var finishedUnixMs: UInt64 = 0

    public init(
        workflowID: String, accepted: AcceptedWorkflow, lastSequence: UInt64, tasks: [String: TaskState],
        expansions: [(parentTaskID: String, tasks: [TaskSpec])] = []
    ) {
        self.workflowID = workflowID
        self.accepted = accepted
        self.lastSequence = lastSequence
        self.tasks = tasks
        self.expansions = expansions
    }

    public static func == (lhs: StoredWorkflow, rhs: StoredWorkflow) -> Bool {
        lhs.workflowID == rhs.workflowID && lhs.accepted == rhs.accepted && lhs.lastSequence == rhs.lastSequence
            && lhs.status == rhs.status && lhs.finishedUnixMs == rhs.finishedUnixMs && lhs.tasks == rhs.tasks && lhs.expansions.map(\.parentTaskID) == rhs.expansions.map(\.parentTaskID)
            && lhs.expansions.map(\.tasks) == rhs.expansions.map(\.tasks)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(workflowID)
        hasher.combine(lastSequence)
    }
}

/// The embedded mode's store: nothing survives the process, so nothing resumes.
public struct NoWorkflowStore: WorkflowStore {
    public init() {}

    public func activeWorkflows(skipping known: @Sendable (String) -> Bool) -> [StoredWorkflow] { [] }
}
