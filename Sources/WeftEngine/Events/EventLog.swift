/// Where a workflow's events live: appended in order with sequence numbers 1, 2, 3, … and no gaps, replayed to
/// watchers from any point, followed live. The in-memory implementation is the embedded default; a Redis one
/// (streams + pub/sub) serves several processes.
public protocol EventLog: Sendable {
    /// Starts the history of a new workflow. Throws if it exists.
    func create(workflowID: String) async throws

    /// Appends an event, assigning the next sequence number, and delivers it to live watchers.
    /// Appending the terminal event marks the workflow finished (its history is then kept for the retention time).
    @discardableResult
    func append(workflowID: String, timeUnixMs: UInt64, progress: Progress, payload: WorkflowEvent.Payload) async throws
        -> WorkflowEvent

    /// Events after `afterSequence` (replay), then live ones; the sequence ends after the terminal event (at once
    /// when `afterSequence` is at or past the end of a finished workflow).
    /// Throws ``EngineError`` NOT_FOUND for an unknown workflow. A watcher that falls more than the configured
    /// limit behind gets ``EngineError`` RESOURCE_EXHAUSTED, whose message names the last sequence it was given;
    /// watching again after that sequence continues with no gap.
    func watch(workflowID: String, afterSequence: UInt64) async throws -> AsyncThrowingStream<WorkflowEvent, any Error>

    /// The last sequence number of a workflow, or nil if unknown.
    func lastSequence(workflowID: String) async -> UInt64?
}
