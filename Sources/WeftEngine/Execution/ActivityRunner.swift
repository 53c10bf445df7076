import Synchronization

/// Runs one task as an activity with Temporal's semantics: each attempt under a start-to-close and a heartbeat
/// timeout, retries with exponential backoff for retryable failures, and nothing left running when it returns.
///
/// An attempt that misses a deadline is cancelled and failed; the runner waits for its executor to stop before it
/// schedules the next attempt, so two attempts of one task never overlap and a late result is discarded.
struct ActivityRunner: Sendable {
    /// What happened, reported as it happens (the workflow turns these into events).
    enum Report: Sendable {
        case attemptStarted(attempt: Int)
        case heartbeat(attempt: Int, details: String)
        case attemptFailed(attempt: Int, failure: ActivityFailure, retryIn: Duration?)
    }

    /// How the task ended.
    enum Outcome: Sendable {
        case succeeded(ActivityOutput, attempt: Int, duration: Duration)
        case failed(ActivityFailure, attempt: Int)
        case cancelled(attempt: Int)
    }

    /// The resolved retry policy of one task.
    struct Retry: Sendable {
        var maxAttempts: Int
        var initialInterval: Duration
        var backoffCoefficient: Double
        var maxInterval: Duration
        var nonRetryable: Set<String>

        /// The wait before attempt `attempt + 1` after attempt `attempt` failed.
        func interval(after attempt: Int) -> Duration {
            var interval = initialInterval
            for _ in 1..<max(attempt, 1) {
                interval = interval * backoffCoefficient
                if interval >= maxInterval { return maxInterval }
            }
            return min(interval, maxInterval)
        }
    }

    let clock: EngineClock
    let executor: any ActivityExecutor
    let retry: Retry
    let heartbeatEventInterval: Duration

    /// Runs attempts until one succeeds, a failure is final, or the task is cancelled.
    func run(_ base: Activity, report: @escaping @Sendable (Report) -> Void) async -> Outcome {
        var attempt = base.attempt
        var lastDetails = base.lastHeartbeatDetails
        while true {
            if Task.isCancelled { return .cancelled(attempt: attempt) }
            var activity = base
            activity.attempt = attempt
            activity.lastHeartbeatDetails = lastDetails
            report(.attemptStarted(attempt: attempt))
            let started = clock.now()
            let (result, details) = await runAttempt(activity, report: report)
            if !details.isEmpty { lastDetails = details }
            switch result {
            case .success(let output):
                return .succeeded(output, attempt: attempt, duration: clock.now() - started)
            case .failure(.cancelled):
                return .cancelled(attempt: attempt)
            case .failure(.failed(let failure)):
                let final = !failure.retryable || retry.nonRetryable.contains(failure.type) || attempt >= retry.maxAttempts
                if final {
                    report(.attemptFailed(attempt: attempt, failure: failure, retryIn: nil))
                    return .failed(failure, attempt: attempt)
                }
                let wait = retry.interval(after: attempt)
                report(.attemptFailed(attempt: attempt, failure: failure, retryIn: wait))
                do {
                    try await clock.sleep(for: wait)
                } catch {
                    return .cancelled(attempt: attempt)
                }
                attempt += 1
            }
        }
    }

    private enum AttemptError: Error {
        case failed(ActivityFailure)
        case cancelled
    }

    private enum Race: Sendable {
        case finished(Result<ActivityOutput, ActivityFailure>)
        case timedOut(ActivityFailure)
        case cancelled
    }

    /// One attempt: the executor raced against its two deadlines.
    private func runAttempt(_ activity: Activity, report: @escaping @Sendable (Report) -> Void) async
        -> (Result<ActivityOutput, AttemptError>, String)
    {
        let executor = executor
        // A queued attempt's clocks start when a worker picks it up; any other attempt's start at once.
        let beats = HeartbeatState(startedAt: executor.waitsForPickup ? nil : clock.now())
        let clock = clock
        let attempt = activity.attempt
        let interval = heartbeatEventInterval
        let recorder = HeartbeatRecorder({ details in
            if beats.beat(at: clock.now(), details: details, eventInterval: interval) {
                report(.heartbeat(attempt: attempt, details: details))
            }
        }, started: { beats.start(at: clock.now()) })
        let result: Race = await withTaskGroup(of: Race.self) { group in
            group.addTask {
                do {
                    return .finished(.success(try await executor.execute(activity, heartbeat: recorder)))
                } catch let failure as ActivityFailure {
                    return Task.isCancelled ? .cancelled : .finished(.failure(failure))
                } catch {
                    if Task.isCancelled || error is CancellationError { return .cancelled }
                    return .finished(.failure(ActivityFailure("\(error)", type: "\(type(of: error))")))
                }
            }
            group.addTask {
                do {
                    let startedAt = try await beats.waitUntilStarted()
                    let remaining = startedAt + activity.startToCloseTimeout - clock.now()
                    if remaining > .zero { try await clock.sleep(for: remaining) }
                } catch {
                    return .cancelled
                }
                return .timedOut(ActivityFailure(
                    "start-to-close timeout: attempt \(attempt) did not finish within \(Self.describe(activity.startToCloseTimeout))",
                    type: "StartToCloseTimeout"))
            }
            group.addTask {
                // The heartbeat watchdog: sleeps until the current deadline; a heartbeat moves the deadline.
                do {
                    _ = try await beats.waitUntilStarted()
                } catch {
                    return .cancelled
                }
                while true {
                    let deadline = beats.lastBeat + activity.heartbeatTimeout
                    let now = clock.now()
                    if now >= deadline {
                        return .timedOut(ActivityFailure(
                            "heartbeat timeout: attempt \(attempt) sent no heartbeat for \(Self.describe(activity.heartbeatTimeout))",
                            type: "HeartbeatTimeout"))
                    }
                    do {
                        try await clock.sleep(for: deadline - now)
                    } catch {
                        return .cancelled
                    }
                }
            }
            var first: Race = .cancelled
            for await outcome in group {
                if case .cancelled = outcome, !Task.isCancelled { continue }
                first = outcome
                break
            }
            group.cancelAll()
            return first
        }
        let details = beats.details
        switch result {
        case .finished(.success(let output)): return (.success(output), details)
        case .finished(.failure(let failure)), .timedOut(let failure): return (.failure(.failed(failure)), details)
        case .cancelled: return (.failure(.cancelled), details)
        }
    }

    static func describe(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms % 1000 == 0 { return "\(ms / 1000) s" }
        return "\(ms) ms"
    }
}

/// The start and last heartbeat of a running attempt, written by the executor's task and read by the watchdogs.
private final class HeartbeatState: Sendable {
    private struct State {
        var startedAt: Duration?
        var lastBeat: Duration = .zero
        var details = ""
        var lastEvent: Duration?
        /// Watchdogs waiting for the start, by id.
        var waiters: [Int: CheckedContinuation<Duration, any Error>] = [:]
        var nextWaiter = 0
    }

    private let state: Mutex<State>

    /// `startedAt` nil: the attempt waits for ``start(at:)``.
    init(startedAt: Duration?) {
        var initial = State(startedAt: startedAt)
        if let startedAt { initial.lastBeat = startedAt }
        state = Mutex(initial)
    }

    var lastBeat: Duration { state.withLock { $0.lastBeat } }
    var details: String { state.withLock { $0.details } }

    /// Marks the attempt started (once) and wakes the watchdogs.
    func start(at now: Duration) {
        let waiters = state.withLock { state -> [CheckedContinuation<Duration, any Error>] in
            guard state.startedAt == nil else { return [] }
            state.startedAt = now
            state.lastBeat = now
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: now) }
    }

    /// Returns when the attempt has started, with its start time; throws CancellationError when cancelled first.
    func waitUntilStarted() async throws -> Duration {
        if let startedAt = state.withLock({ $0.startedAt }) { return startedAt }
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Duration, any Error>) in
                let outcome = state.withLock { state -> Result<Duration, any Error>? in
                    if let startedAt = state.startedAt { return .success(startedAt) }
                    // Checked under the lock: a cancellation handler that ran before this finds nothing to resume.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Records a beat; returns true when an event should be sent (throttled to one per `eventInterval`).
    func beat(at now: Duration, details: String, eventInterval: Duration) -> Bool {
        state.withLock { state in
            state.lastBeat = now
            if !details.isEmpty { state.details = details }
            if let last = state.lastEvent, now - last < eventInterval { return false }
            state.lastEvent = now
            return true
        }
    }
}
