import Synchronization

/// The workflow engine: accepts workflows, runs them, answers questions about them.
///
/// Workflows run as child tasks of ``run()`` (structured concurrency: when `run()` is cancelled every workflow is
/// cancelled and awaited). ``submit(_:)`` validates the whole DAG before anything is kept, records the workflow,
/// appends its `workflow_accepted` event and hands it to `run()`.
public final class WorkflowEngine: Sendable {
    /// What a submission returns.
    public struct Submission: Sendable, Hashable {
        public var workflowID: String
        public var plan: [PlannedBatch]
        /// True when `requestID` matched an earlier submission (nothing new was started).
        public var deduplicated: Bool
    }

    private struct State {
        var records: [String: WorkflowRecord] = [:]
        var runs: [String: WorkflowRun] = [:]
        var byRequestID: [String: String] = [:]
        var nextOrdinal: UInt64 = 1
        var finishedOrder: [(id: String, at: Duration)] = []
        var accepting = true
    }

    public let config: EngineConfig
    private let executors: ExecutorRegistry
    private let eventLog: any EventLog
    private let store: any WorkflowStore
    private let clock: EngineClock
    private let cache: (any ResultCache)?
    private let observer: any EngineObserver
    private let makeID: @Sendable () -> String
    private let state = Mutex(State())
    private let queue: AsyncStream<WorkflowRun>
    private let queueInput: AsyncStream<WorkflowRun>.Continuation

    public init(
        config: EngineConfig = .defaults, executors: ExecutorRegistry, eventLog: any EventLog,
        cache: (any ResultCache)? = nil, clock: EngineClock = .live,
        makeID: @escaping @Sendable () -> String = WorkflowEngine.randomID,
        observer: any EngineObserver = NoEngineObserver(), store: any WorkflowStore = NoWorkflowStore()
    ) {
        self.store = store
        self.cache = cache
        self.observer = observer
        self.config = config
        self.executors = executors
        self.eventLog = eventLog
        self.clock = clock
        self.makeID = makeID
        (queue, queueInput) = AsyncStream<WorkflowRun>.makeStream()
    }

    /// Runs submitted workflows until cancelled; on cancellation every running workflow is cancelled (with a
    /// terminal event) and awaited.
    public func run() async {
        let environment = WorkflowRun.Environment(
            config: config, executors: executors, eventLog: eventLog, clock: clock, cache: cache, observer: observer,
            resumable: !(store is NoWorkflowStore))
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for await run in queue {
                    group.addTask {
                        await run.execute(environment)
                        self.finished(run.workflowID)
                    }
                }
            }
        } onCancel: {
            self.shutdown(reason: "the server is shutting down")
        }
    }

    /// Stops accepting workflows and cancels every running one; ``run()`` returns once they have ended.
    public func shutdown(reason: String) {
        let runs = state.withLock { state -> [WorkflowRun] in
            state.accepting = false
            return Array(state.runs.values)
        }
        for run in runs { run.shutdown(reason: reason) }
        queueInput.finish()
    }

    /// Validates and accepts a workflow.
    /// - Throws: ``EngineError`` INVALID_ARGUMENT naming the problem (nothing of the workflow is kept),
    ///   UNAVAILABLE when the engine is shutting down.
    public func submit(_ spec: WorkflowSpec) async throws -> Submission {
        let graph = try WorkflowValidator.validate(spec, config: config, isKnownExecutor: executors.isKnown)
        let mode = spec.options.mode ?? config.defaultMode
        let maxParallel = spec.options.maxParallel ?? config.maxParallel
        let plan = Scheduler.plan(graph: graph, mode: mode, maxParallel: maxParallel)

        if !spec.requestID.isEmpty, let existing = state.withLock({ $0.byRequestID[spec.requestID] }) {
            return Submission(workflowID: existing, plan: plan, deduplicated: true)
        }
        let id = makeID()
        let now = clock.unixMilliseconds()
        // The history exists before anyone can learn the id, so a watch right after submit always finds it.
        try await eventLog.create(workflowID: id)
        let accepted: WorkflowEvent
        do {
            // A durable log stores the spec with this event before it returns, or refuses (UNAVAILABLE).
            accepted = try await eventLog.append(
                workflowID: id, timeUnixMs: now, progress: Progress(total: graph.count),
                payload: .workflowAccepted(plan: plan, taskCount: graph.count),
                checkpoint: WorkflowCheckpoint(accepted: AcceptedWorkflow(spec: spec, createdUnixMs: now)))
        } catch {
            await eventLog.discard(workflowID: id)
            throw error
        }

        enum Admission { case new(WorkflowRun), existing(String), closed }
        let admission = state.withLock { state -> Admission in
            guard state.accepting else { return .closed }
            if !spec.requestID.isEmpty, let existing = state.byRequestID[spec.requestID] {
                return .existing(existing)
            }
            pruneFinished(&state)
            let record = WorkflowRecord(workflowID: id, spec: spec, graph: graph, createdUnixMs: now,
                                        ordinal: state.nextOrdinal)
            record.update { $0.lastSequence = accepted.sequence }
            // Record and run are published together, so a cancel that follows at once reaches the run's inbox.
            let run = WorkflowRun(record: record, graph: graph)
            state.nextOrdinal += 1
            state.records[id] = record
            state.runs[id] = run
            if !spec.requestID.isEmpty { state.byRequestID[spec.requestID] = id }
            return .new(run)
        }
        switch admission {
        case .closed:
            await abandonHistory(id, reason: "the server is shutting down")
            throw EngineError(.unavailable, "the server is shutting down and accepts no new workflows")
        case .existing(let existingID):
            // A concurrent submission with the same request_id won; this id was never published.
            await abandonHistory(id, reason: "duplicate of \(existingID) (same request_id)")
            return Submission(workflowID: existingID, plan: plan, deduplicated: true)
        case .new(let run):
            observer.workflowAccepted(workflowID: id, taskCount: graph.count)
            if case .terminated = queueInput.yield(run) {
                // The engine stopped between admission and hand-over: end the workflow here, visibly.
                run.record.finish(status: .cancelled, at: clock.unixMilliseconds())
                _ = try? await eventLog.append(
                    workflowID: id, timeUnixMs: clock.unixMilliseconds(), progress: run.record.snapshot().progress,
                    payload: .workflowCancelled(reason: "the server is shutting down"))
                observer.workflowFinished(workflowID: id, status: .cancelled, duration: .zero)
                finished(id)
            }
            return Submission(workflowID: id, plan: plan, deduplicated: false)
        }
    }

    /// Resumes every workflow the store holds as active (accepted by an earlier process and not finished): tasks
    /// that completed or failed keep their stored state and never run again; tasks that were running run again as
    /// their next attempt (at-least-once); events continue after the stored last sequence. Workflows already known
    /// are skipped, so calling it again after a failure is safe. Returns the ids resumed.
    ///
    /// - Throws: what the store throws when it cannot be read (nothing is resumed then).
    @discardableResult
    public func resumeStoredWorkflows() async throws -> [String] {
        var resumed: [String] = []
        let known: @Sendable (String) -> Bool = { [self] id in state.withLock { $0.records[id] != nil } }
        for stored in try await store.activeWorkflows(skipping: known) {
            guard state.withLock({ $0.records[stored.workflowID] == nil }) else { continue }
            let spec = stored.accepted.spec
            var graph: TaskGraph
            do {
                graph = try WorkflowValidator.validate(spec, config: config, isKnownExecutor: executors.isKnown)
                for expansion in stored.expansions {
                    guard let parent = graph.index(of: expansion.parentTaskID) else { continue }
                    _ = try graph.add(expansion.tasks, parent: parent, config: config, isKnownExecutor: executors.isKnown)
                }
            } catch {
                // The configuration changed under it (an executor removed): end it visibly rather than drop it.
                try? await eventLog.reopen(workflowID: stored.workflowID, lastSequence: stored.lastSequence)
                _ = try? await eventLog.append(
                    workflowID: stored.workflowID, timeUnixMs: clock.unixMilliseconds(), progress: Progress(),
                    payload: .workflowFailed(error: "cannot resume after a restart: \(error)", failedTasks: [],
                                             cache: CacheSummary()),
                    checkpoint: .none)
                continue
            }
            try await eventLog.reopen(workflowID: stored.workflowID, lastSequence: stored.lastSequence)
            let run = state.withLock { state -> WorkflowRun in
                let record = WorkflowRecord(
                    workflowID: stored.workflowID, spec: spec, graph: graph,
                    createdUnixMs: stored.accepted.createdUnixMs, ordinal: state.nextOrdinal)
                let restored = Self.restore(stored, into: record, graph: graph)
                let run = WorkflowRun(record: record, graph: graph, restored: restored)
                state.nextOrdinal += 1
                state.records[stored.workflowID] = record
                state.runs[stored.workflowID] = run
                if !spec.requestID.isEmpty { state.byRequestID[spec.requestID] = stored.workflowID }
                return run
            }
            observer.workflowAccepted(workflowID: stored.workflowID, taskCount: graph.count)
            if case .terminated = queueInput.yield(run) {
                finished(stored.workflowID)
                break
            }
            resumed.append(stored.workflowID)
        }
        return resumed
    }

    /// Puts a stored workflow's task states into its new record and derives what its run restarts from.
    private static func restore(_ stored: StoredWorkflow, into record: WorkflowRecord, graph: TaskGraph)
        -> WorkflowRun.Restored
    {
        var restored = WorkflowRun.Restored()
        record.update { state in
            state.lastSequence = stored.lastSequence
            for index in state.tasks.indices {
                guard var task = stored.tasks[state.tasks[index].taskID] else { continue }
                task.priority = state.tasks[index].priority
                switch task.status {
                case .completed:
                    restored.succeeded.insert(index)
                    let result = TaskResult(
                        taskID: task.taskID, output: task.output, cache: task.cache ?? .bypassed, attempt: task.attempt,
                        duration: .milliseconds(Int64(task.finishedUnixMs) - Int64(task.startedUnixMs)))
                    restored.results[index] = result
                    restored.taskTime += result.duration
                    switch task.cache {
                    case .reused: state.cache.reused += 1
                    case .adapted: state.cache.adapted += 1
                    case .miss: state.cache.missed += 1
                    case .bypassed, nil: break
                    }
                    state.completedCount += 1
                case .failed:
                    restored.failed.insert(index)
                    restored.failedTasks.append(task.taskID)
                    state.completedCount += 1
                case .skipped:
                    state.completedCount += 1
                case .running, .retrying, .cancelled, .pending, .ready:
                    // Interrupted: it runs again, as its next attempt.
                    if task.attempt > 0 { restored.nextAttempt[index] = task.attempt + 1 }
                    task.status = .pending
                }
                state.tasks[index] = task
            }
            state.status = .running
        }
        return restored
    }

    /// Ends the history of a workflow that was never admitted, so the log retains it only for the retention time.
    private func abandonHistory(_ id: String, reason: String) async {
        _ = try? await eventLog.append(
            workflowID: id, timeUnixMs: clock.unixMilliseconds(), progress: Progress(),
            payload: .workflowCancelled(reason: reason))
    }

    /// Events of a workflow after `afterSequence`, then live ones, ending after the terminal event.
    public func watch(workflowID: String, afterSequence: UInt64) async throws
        -> AsyncThrowingStream<WorkflowEvent, any Error>
    {
        try await eventLog.watch(workflowID: workflowID, afterSequence: afterSequence)
    }

    /// Whether workflows outlive this process (a durable store, e.g. Redis): then ``locateSnapshot(workflowID:)``
    /// also finds workflows other processes run.
    public var isDurable: Bool { !(store is NoWorkflowStore) }

    /// A snapshot of a workflow this engine runs or ran, else of one its store holds (another process runs or ran
    /// it). - Throws: ``EngineError`` NOT_FOUND, UNAVAILABLE when the store cannot be read.
    public func locateSnapshot(workflowID: String) async throws -> WorkflowSnapshot {
        if let record = state.withLock({ $0.records[workflowID] }) { return record.snapshot() }
        let stored: StoredWorkflow?
        do {
            stored = try await store.storedWorkflow(workflowID: workflowID)
        } catch {
            throw EngineError(.unavailable, "cannot read workflow \"\(workflowID)\" from the store: \(error)", cause: error)
        }
        guard let stored else { throw notFound(workflowID) }
        return stored.snapshot(config: config)
    }

    /// A snapshot of a workflow. - Throws: ``EngineError`` NOT_FOUND.
    public func snapshot(workflowID: String) throws -> WorkflowSnapshot {
        try record(workflowID).snapshot()
    }

    /// Cancels a running workflow and waits up to `wait` for it to end (its activities observe cancellation
    /// promptly); returns the status then. Cancelling a finished workflow changes nothing and returns its status.
    /// - Throws: ``EngineError`` NOT_FOUND.
    @discardableResult
    public func cancel(workflowID: String, reason: String, wait: Duration = .zero) async throws -> WorkflowStatus {
        let local = state.withLock { state -> (WorkflowRecord, WorkflowRun?)? in
            state.records[workflowID].map { ($0, state.runs[workflowID]) }
        }
        guard let (record, run) = local else {
            return try await cancelElsewhere(workflowID: workflowID, reason: reason, wait: wait)
        }
        guard let run, !record.status.isFinished else { return record.status }
        run.cancel(reason: reason.isEmpty ? "cancelled by request" : reason)
        if wait > .zero {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await record.waitUntilFinished() }
                group.addTask { try? await Task.sleep(for: wait) }
                await group.next()
                group.cancelAll()
            }
        }
        return record.status
    }

    /// Cancels a workflow another process runs, through the store: asks its owner, then follows its events (served
    /// from the durable log) for up to `wait` until the terminal one. - Throws: NOT_FOUND when the store does not
    /// hold it either.
    private func cancelElsewhere(workflowID: String, reason: String, wait: Duration) async throws -> WorkflowStatus {
        guard isDurable else { throw notFound(workflowID) }
        let snapshot = try await locateSnapshot(workflowID: workflowID)
        guard !snapshot.status.isFinished else { return snapshot.status }
        do {
            try await store.requestCancel(workflowID: workflowID, reason: reason.isEmpty ? "cancelled by request" : reason)
        } catch {
            throw EngineError(.unavailable, "cannot ask the process running \"\(workflowID)\" to cancel it: \(error)")
        }
        if wait > .zero {
            let events = try await eventLog.watch(workflowID: workflowID, afterSequence: snapshot.lastSequence)
            await withTaskGroup(of: Void.self) { group in
                // The watch ends after the terminal event.
                group.addTask { do { for try await _ in events {} } catch {} }
                group.addTask { try? await Task.sleep(for: wait) }
                await group.next()
                group.cancelAll()
            }
        }
        return try await locateSnapshot(workflowID: workflowID).status
    }

    /// Serves the cancellation requests other processes send through the store for workflows this engine runs,
    /// until cancelled (Redis mode runs it beside ``run()``).
    public func serveCancelRequests() async {
        for await request in store.cancelRequests() {
            // Only workflows running here: another process's are its own to cancel (asking it again would loop).
            guard state.withLock({ $0.runs[request.workflowID] != nil }) else { continue }
            _ = try? await cancel(workflowID: request.workflowID, reason: request.reason)
        }
    }

    /// Workflows, newest first, `pageSize` at a time; `pageToken` continues a listing.
    public func list(pageSize: Int, pageToken: String, status: WorkflowStatus?) throws
        -> (workflows: [WorkflowSummary], nextPageToken: String)
    {
        var before = UInt64.max
        if !pageToken.isEmpty {
            guard let value = UInt64(pageToken) else {
                throw EngineError(.invalidArgument, "page_token \"\(pageToken)\" is not a token this server issued")
            }
            before = value
        }
        let size = min(max(pageSize, 1), 1000)
        let records = state.withLock { state in
            state.records.values.filter { $0.ordinal < before }.sorted { $0.ordinal > $1.ordinal }
        }
        var page: [WorkflowSummary] = []
        var last: UInt64?
        for record in records {
            if let status, record.status != status { continue }
            if page.count == size {
                return (page, last.map(String.init) ?? "")
            }
            page.append(record.summary())
            last = record.ordinal
        }
        return (page, "")
    }

    /// Workflows, newest first, like ``list(pageSize:pageToken:status:)``; with a durable store, every workflow the
    /// store holds, whichever process runs it (this engine's own from their live records). Page tokens then have
    /// the form `r:{created ms}:{workflow id}`.
    /// - Throws: ``EngineError`` INVALID_ARGUMENT for a token this server did not issue, UNAVAILABLE when the store
    ///   cannot be read.
    public func listAnywhere(pageSize: Int, pageToken: String, status: WorkflowStatus?) async throws
        -> (workflows: [WorkflowSummary], nextPageToken: String)
    {
        guard isDurable else { return try list(pageSize: pageSize, pageToken: pageToken, status: status) }
        var cursor: StoredWorkflowCursor?
        if !pageToken.isEmpty {
            let parts = pageToken.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "r", let created = UInt64(parts[1]), !parts[2].isEmpty else {
                throw EngineError(.invalidArgument, "page_token \"\(pageToken)\" is not a token this server issued")
            }
            cursor = StoredWorkflowCursor(createdUnixMs: created, workflowID: String(parts[2]))
        }
        let size = min(max(pageSize, 1), 1000)
        var page: [WorkflowSummary] = []
        while true {
            let batch: (workflows: [StoredWorkflow], exhausted: Bool)
            do {
                batch = try await store.storedWorkflows(after: cursor, limit: size)
            } catch {
                throw EngineError(.unavailable, "cannot list workflows from the store: \(error)", cause: error)
            }
            for stored in batch.workflows {
                cursor = StoredWorkflowCursor(createdUnixMs: stored.accepted.createdUnixMs, workflowID: stored.workflowID)
                let local = state.withLock { $0.records[stored.workflowID] }
                let summary = local?.summary() ?? stored.snapshot(config: config).summary
                if let status, summary.status != status { continue }
                page.append(summary)
                if page.count == size {
                    let token = cursor.map { "r:\($0.createdUnixMs):\($0.workflowID)" } ?? ""
                    return (page, token)
                }
            }
            if batch.exhausted { return (page, "") }
        }
    }

    private func record(_ workflowID: String) throws -> WorkflowRecord {
        guard let record = state.withLock({ $0.records[workflowID] }) else { throw notFound(workflowID) }
        return record
    }

    private func finished(_ workflowID: String) {
        let now = clock.now()
        state.withLock { state in
            state.runs[workflowID] = nil
            state.finishedOrder.append((workflowID, now))
        }
    }

    /// Drops finished workflows past the retention time or count (oldest first).
    private func pruneFinished(_ state: inout State) {
        let now = clock.now()
        var drop = 0
        while drop < state.finishedOrder.count {
            let entry = state.finishedOrder[drop]
            let expired = now - entry.at > config.retention
            let overCount = state.finishedOrder.count - drop > config.retainedWorkflows
            guard expired || overCount else { break }
            if let record = state.records.removeValue(forKey: entry.id), !record.spec.requestID.isEmpty {
                state.byRequestID[record.spec.requestID] = nil
            }
            drop += 1
        }
        if drop > 0 { state.finishedOrder.removeFirst(drop) }
    }

    /// A random workflow id: `wf-` and 20 lower-case base-32 characters (100 bits).
    public static func randomID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return "wf-" + String((0..<20).map { _ in alphabet[Int(generator.next() % 32)] })
    }
}

private func notFound(_ workflowID: String) -> EngineError {
    EngineError(.notFound, "workflow \"\(workflowID)\" not found")
}
