import Synchronization

/// The embedded ``EventLog``: every workflow's events in memory, in one process.
///
/// **Ordering.** Each workflow has its own lock; a sequence number is assigned and the event stored under it, and
/// every watcher reads the stored history in order from its own position. So each watcher sees 1, 2, 3, … with no
/// gap and no duplicate, even while several tasks append and watchers subscribe at the same time.
///
/// **Slow watchers.** A watcher's backlog is read from the stored history, not copied into a per-watcher buffer,
/// so a lagging watcher costs no memory and an append never waits for one. The limit still applies, so that every
/// event log behaves alike: a watcher that has not read more than `watcherBufferLimit` of the events appended
/// since its watch began gets ``EngineError`` RESOURCE_EXHAUSTED at its next read, naming the last sequence it was
/// given as the `after_sequence` to resume with. Replay (events stored before the watch began) never counts.
///
/// **Retention.** A finished workflow (one whose terminal event was appended) is forgotten `retention` after it
/// finished, and as soon as more than `maxFinishedWorkflows` finished ones are kept, oldest finished first. Both are
/// checked on each call, so no timer runs. Running workflows are never evicted. A stream already open on an
/// evicted workflow reads on to its end.
///
/// **Memory.** A workflow's events are kept in one array, not separately capped: their number is bounded by the
/// workflow's tasks × attempts (a few events per attempt) plus batch events and heartbeat events, which the runner
/// sends at most once per task per `EngineConfig.heartbeatEventInterval`. Task limits
/// (`EngineLimits.maxTasks`) and retention bound the total.
public final class InMemoryEventLog: EventLog {
    private let registry: Mutex<EventRegistry>
    private let watcherBufferLimit: Int
    /// Time on the injected clock since the log was made. The clock is kept behind a closure because the instant
    /// of an `any Clock<Duration>` cannot be stored with its type; durations between two readings are all that
    /// retention needs.
    private let elapsed: @Sendable () -> Duration

    /// Creates an empty log.
    ///
    /// - Parameters:
    ///   - retention: How long a finished workflow's events are kept (`EngineConfig.retention`).
    ///   - maxFinishedWorkflows: How many finished workflows are kept at most (`EngineConfig.retainedWorkflows`).
    ///   - watcherBufferLimit: Events appended since a watch began that a watcher may leave unread before its
    ///     stream ends with RESOURCE_EXHAUSTED (`EngineConfig.watcherBufferLimit`).
    ///   - clock: Measures retention; inject a manual clock to test it in virtual time.
    public init(
        retention: Duration,
        maxFinishedWorkflows: Int,
        watcherBufferLimit: Int,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        precondition(retention >= .zero, "retention must not be negative")
        precondition(maxFinishedWorkflows >= 0, "maxFinishedWorkflows must not be negative")
        precondition(watcherBufferLimit >= 0, "watcherBufferLimit must not be negative")
        self.registry = Mutex(EventRegistry(retention: retention, maxFinishedWorkflows: maxFinishedWorkflows))
        self.watcherBufferLimit = watcherBufferLimit
        self.elapsed = Self.stopwatch(clock)
    }

    /// Creates an empty log with the retention and watcher limits of `config`.
    public convenience init(config: EngineConfig, clock: any Clock<Duration> = ContinuousClock()) {
        self.init(
            retention: config.retention,
            maxFinishedWorkflows: config.retainedWorkflows,
            watcherBufferLimit: config.watcherBufferLimit,
            clock: clock
        )
    }

    private static func stopwatch<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    /// Starts the history of a new workflow.
    ///
    /// - Throws: ``EngineError`` INTERNAL if the workflow already has one (ids are unique; a clash is a bug).
    public func create(workflowID: String) throws {
        let history = EventHistory(workflowID: workflowID, watcherBufferLimit: watcherBufferLimit)
        let inserted = registry.withLock { registry in
            registry.evictExpired(now: elapsed)
            return registry.insert(history)
        }
        guard inserted else {
            throw EngineError(.internal, "workflow \"\(workflowID)\" already has an event history")
        }
    }

    /// Appends an event with the next sequence number (1 for the first) and wakes the watchers waiting for it.
    /// Appending the terminal event finishes the workflow; retention starts then.
    ///
    /// - Throws: ``EngineError`` NOT_FOUND for an unknown workflow, FAILED_PRECONDITION after its terminal event.
    @discardableResult
    public func append(
        workflowID: String,
        timeUnixMs: UInt64,
        progress: Progress,
        payload: WorkflowEvent.Payload
    ) throws -> WorkflowEvent {
        let history = try self.history(workflowID)
        let event = try history.append(timeUnixMs: timeUnixMs, progress: progress, payload: payload)
        if payload.isTerminal {
            registry.withLock { registry in
                registry.recordFinished(history, at: elapsed())
            }
        }
        return event
    }

    /// As ``append(workflowID:timeUnixMs:progress:payload:)``: memory keeps no checkpoint.
    @discardableResult
    public func append(
        workflowID: String, timeUnixMs: UInt64, progress: Progress, payload: WorkflowEvent.Payload,
        checkpoint: WorkflowCheckpoint
    ) throws -> WorkflowEvent {
        try append(workflowID: workflowID, timeUnixMs: timeUnixMs, progress: progress, payload: payload)
    }

    /// Always throws FAILED_PRECONDITION: nothing in memory outlives a restart, so nothing is resumed.
    public func reopen(workflowID: String, lastSequence: UInt64) throws {
        throw EngineError(.failedPrecondition, "the in-memory event log cannot resume workflow \"\(workflowID)\"")
    }

    /// Nothing to forget: an in-memory accepted event cannot fail to be stored.
    public func discard(workflowID: String) {}

    /// The events after `afterSequence` from the stored history, then live ones as they are appended, ending after
    /// the terminal event (at once if `afterSequence` is at or past the end of a finished workflow; past the end of
    /// a running one, the stream waits for the later sequences).
    ///
    /// The stream ends early with ``EngineError`` RESOURCE_EXHAUSTED if the watcher leaves more than the configured
    /// number of events appended since this call unread; the message names the `after_sequence` to resume with.
    /// Cancelling the consuming task ends the stream; dropping the stream unregisters the watcher.
    ///
    /// - Throws: ``EngineError`` NOT_FOUND for an unknown (or evicted) workflow.
    public func watch(workflowID: String, afterSequence: UInt64) throws -> AsyncThrowingStream<WorkflowEvent, any Error>
    {
        try history(workflowID).watch(afterSequence: afterSequence)
    }

    /// The last sequence number of a workflow (0 before its first event), or nil if it is unknown or evicted.
    public func lastSequence(workflowID: String) -> UInt64? {
        registry.withLock { registry in
            registry.evictExpired(now: elapsed)
            return registry.history(workflowID)
        }?.lastSequence
    }

    private func history(_ workflowID: String) throws(EngineError) -> EventHistory {
        let history = registry.withLock { registry in
            registry.evictExpired(now: elapsed)
            return registry.history(workflowID)
        }
        guard let history else {
            throw EngineError(.notFound, "workflow \"\(workflowID)\" not found")
        }
        return history
    }

    /// Watchers of a workflow not yet ended or dropped, or nil if it is unknown (for tests).
    func watcherCount(workflowID: String) -> Int? {
        registry.withLock { $0.history(workflowID) }?.watcherCount
    }
}
