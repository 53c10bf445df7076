import Synchronization
import Testing
import WeftTestSupport
import WeftEngine

/// A ``WorkflowEngine`` on a ``ManualClock``, for tests of its runtime behaviour in virtual time.
///
/// The engine runs the `sim` executor and a ``ScriptedExecutor`` named `test` (the default executor), both on the
/// manual clock, with an ``InMemoryEventLog``; workflow ids are `wf-1`, `wf-2`, … in submission order. Event times
/// are the manual clock's milliseconds, so an event's `timeUnixMs` says when, in virtual time, it happened.
///
/// ``run(config:live:script:_:)`` runs `engine.run()` in a task group for the duration of the test body and cancels
/// it afterwards (also when the body throws). Every wait is bounded in real time, so a bug fails the test instead of
/// hanging it.
struct EngineHarness: Sendable {
    let clock: ManualClock
    let engine: WorkflowEngine
    let executor: ScriptedExecutor
    let eventLog: InMemoryEventLog

    /// Runs `body` with an engine running; cancels the engine when `body` returns or throws.
    ///
    /// - Parameters:
    ///   - config: The engine's configuration; `defaultExecutor` is set to `test`.
    ///   - live: Runs the engine on the real clocks instead of the manual clock (for load tests).
    ///   - script: What the `test` executor does for each attempt; blocking by default.
    static func run<T: Sendable>(
        config: EngineConfig = EngineConfig(),
        live: Bool = false,
        script: @escaping @Sendable (Activity) -> ScriptedExecutor.Behavior = { _ in .block() },
        _ body: (EngineHarness) async throws -> T
    ) async throws -> T {
        var config = config
        config.defaultExecutor = "test"
        let clock = ManualClock()
        let engineClock = live ? EngineClock.live : EngineClock(clock: clock, unixMilliseconds: {
            UInt64(milliseconds(clock.now.offset))
        })
        let executor = ScriptedExecutor(now: { engineClock.now() }, script: script)
        let executors = ExecutorRegistry(sim: SimExecutor(clock: engineClock), exec: nil, others: ["test": executor])
        let eventLog = live ? InMemoryEventLog(config: config) : InMemoryEventLog(config: config, clock: clock)
        let ids = Mutex(0)
        let engine = WorkflowEngine(
            config: config, executors: executors, eventLog: eventLog, clock: engineClock,
            makeID: { "wf-\(ids.withLock { $0 += 1; return $0 })" })
        let harness = EngineHarness(clock: clock, engine: engine, executor: executor, eventLog: eventLog)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            defer { group.cancelAll() }
            return try await body(harness)
        }
    }

    // MARK: Submitting

    /// Submits a workflow of `tasks`; returns its id.
    func submit(_ tasks: [TaskSpec], options: WorkflowOptions = WorkflowOptions(), requestID: String = "")
        async throws -> String
    {
        try await engine.submit(WorkflowSpec(description: "test", tasks: tasks, options: options, requestID: requestID))
            .workflowID
    }

    // MARK: Events

    /// The workflow's events from the first, read until `done` holds for those read so far (or the stream ends).
    func events(
        _ workflowID: String, _ what: String = "the expected events",
        until done: @escaping @Sendable ([WorkflowEvent]) -> Bool
    ) async throws -> [WorkflowEvent] {
        let engine = engine
        return try await withDeadline("\(what) of \(workflowID)") {
            var events: [WorkflowEvent] = []
            for try await event in try await engine.watch(workflowID: workflowID, afterSequence: 0) {
                events.append(event)
                if done(events) { break }
            }
            return events
        }
    }

    /// The workflow's events up to the first whose summary starts with `prefix`.
    func events(_ workflowID: String, through prefix: String) async throws -> [WorkflowEvent] {
        let events = try await events(workflowID, "an event \"\(prefix)…\"") { events in
            events.last.map { $0.payload.summary.hasPrefix(prefix) } ?? false
        }
        try #require(events.last?.payload.summary.hasPrefix(prefix) == true, "the stream ended before \"\(prefix)…\"")
        return events
    }

    /// Every event of the workflow, up to its terminal event.
    func history(_ workflowID: String) async throws -> [WorkflowEvent] {
        let events = try await events(workflowID, "the terminal event") { _ in false }
        try #require(events.last?.payload.isTerminal == true, "the stream ended without a terminal event")
        return events
    }

    // MARK: Time

    /// Waits until exactly `count` sleeps are registered on the clock and the earliest is due at `deadline` (when
    /// given), so the test advances time only when the engine is waiting for it.
    func waitForSleepers(_ count: Int, nextAt deadline: Duration? = nil) async throws {
        let clock = clock
        try await eventually("\(count) sleepers" + (deadline.map { ", the next at \($0)" } ?? "")) {
            clock.sleeperCount == count && (deadline == nil || clock.nextDeadline?.offset == deadline)
        }
    }

    /// Current virtual time.
    var now: Duration { clock.now.offset }

    /// Moves the clock to `time` since its start.
    func advance(to time: Duration) {
        clock.advance(to: ManualClock.Instant(offset: time))
    }

    // MARK: Snapshot

    /// The snapshot's task states by task id.
    func tasks(_ workflowID: String) throws -> [String: TaskState] {
        Dictionary(uniqueKeysWithValues: try engine.snapshot(workflowID: workflowID).tasks.map { ($0.taskID, $0) })
    }
}

// MARK: - Event summaries

extension WorkflowEvent.Payload {
    /// One line naming what happened, for exact comparisons of event sequences: e.g. `task_started a#1`,
    /// `task_failed a#1 HeartbeatTimeout retry 1000ms`, `task_completed a#2 "out"`.
    var summary: String {
        switch self {
        case .workflowAccepted(_, let count):
            "workflow_accepted \(count)"
        case .batchStarted(let index, let ids):
            "batch_started \(index) [\(ids.joined(separator: ", "))]"
        case .taskStarted(let id, let attempt, _):
            "task_started \(id)#\(attempt)"
        case .taskHeartbeat(let id, let attempt, let details):
            "task_heartbeat \(id)#\(attempt) \(details)"
        case .taskCompleted(let result):
            "task_completed \(result.taskID)#\(result.attempt) \"\(result.output)\""
        case .taskFailed(let id, let attempt, _, let type, let willRetry, let retryIn):
            "task_failed \(id)#\(attempt) \(type) " + (willRetry ? "retry \(milliseconds(retryIn))ms" : "final")
        case .taskSkipped(let id, let reason):
            "task_skipped \(id): \(reason)"
        case .batchCompleted(let index, let results):
            "batch_completed \(index) [\(results.map { "\($0.taskID)=\"\($0.output)\"" }.joined(separator: ", "))]"
        case .workflowCompleted:
            "workflow_completed"
        case .workflowFailed(_, let failedTasks, _):
            "workflow_failed [\(failedTasks.joined(separator: ", "))]"
        case .workflowCancelled(let reason):
            "workflow_cancelled: \(reason)"
        }
    }

    /// The task an event is about, if any.
    var taskID: String? {
        switch self {
        case .taskStarted(let id, _, _), .taskHeartbeat(let id, _, _), .taskFailed(let id, _, _, _, _, _),
            .taskSkipped(let id, _):
            id
        case .taskCompleted(let result): result.taskID
        default: nil
        }
    }
}

extension Array where Element == WorkflowEvent {
    /// The events' summaries, in order.
    var summaries: [String] { map(\.payload.summary) }
}

// MARK: - Waiting

/// Whole milliseconds of `duration`.
func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}

/// Runs `body`, failing (and cancelling it) after `limit` of real time: the shared ``withTimeout`` with this
/// target's argument order.
func withDeadline<T: Sendable>(
    _ what: String, limit: Duration = .seconds(10), _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withTimeout(limit, what, body)
}

/// Polls `condition` until it holds, failing after `limit` of real time (the shared ``waitUntil``).
func eventually(
    _ what: String, limit: Duration = .seconds(10), _ condition: @Sendable () -> Bool
) async throws {
    try await waitUntil(what, within: limit, condition)
}
