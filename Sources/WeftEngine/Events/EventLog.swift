/// Where a workflow's events live: appended in order with sequence numbers 1, 2, 3, … and no gaps, replayed to
/// watchers from any point, followed live. The in-memory implementation is the embedded default; a Redis one
/// (streams + pub/sub) serves several processes.
public protocol EventLog: Sendable {
    /// Starts the history of a new workflow. Throws if it exists.
    func create(workflowID: String) async throws

    /// Appends an event, assigning the next sequence number, and delivers it to live watchers.
    /// Appending the terminal event marks the workflow finished (its history is then kept for the retention time).
    ///
    /// A durable log writes `checkpoint` in the same atomic step as the event (see ``WorkflowCheckpoint``); the
    /// in-memory log ignores it. A durable log may return before the write is done (it buffers while its store is
    /// unreachable), except for a checkpoint with `accepted`, which it stores before returning or refuses with
    /// ``EngineError`` UNAVAILABLE.
    @discardableResult
    func append(
        workflowID: String, timeUnixMs: UInt64, progress: Progress, payload: WorkflowEvent.Payload,
        checkpoint: WorkflowCheckpoint
    ) async throws -> WorkflowEvent

    /// Continues the history of a workflow resumed after a restart: the next append gets `lastSequence + 1`.
    /// Only durable logs can; the in-memory one throws FAILED_PRECONDITION.
    func reopen(workflowID: String, lastSequence: UInt64) async throws

    /// Forgets a workflow whose accepted event could not be stored (its id was never given out).
    func discard(workflowID: String) async

    /// Events after `afterSequence` (replay), then live ones; the sequence ends after the terminal event (at once
    /// when `afterSequence` is at or past the end of a finished workflow).
    /// Throws ``EngineError`` NOT_FOUND for an unknown workflow. A watcher that falls more than the configured
    /// limit behind gets ``EngineError`` RESOURCE_EXHAUSTED, whose message names the last sequence it was given;
    /// watching again after that sequence continues with no gap.
    func watch(workflowID: String, afterSequence: UInt64) async throws -> AsyncThrowingStream<WorkflowEvent, any Error>

    /// The last sequence number of a workflow, or nil if unknown.
    func lastSequence(workflowID: String) async -> UInt64?
}

extension EventLog {
    /// Appends an event with no durable state (``WorkflowCheckpoint/none``).
    @discardableResult
    public func append(workflowID: String, timeUnixMs: UInt64, progress: Progress, payload: WorkflowEvent.Payload)
        async throws -> WorkflowEvent
    {
        try await append(
            workflowID: workflowID, timeUnixMs: timeUnixMs, progress: progress, payload: payload, checkpoint: .none)
    }
}
