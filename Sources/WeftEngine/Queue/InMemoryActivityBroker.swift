import DequeModule
import Synchronization

/// The embedded mode's ``ActivityBroker``: per queue, a FIFO of pending activities and a FIFO of waiting polls.
///
/// A new activity goes straight to the longest-waiting poll (its continuation is resumed: no polling loop), else
/// to the back of its queue; a poll takes the front activity, else waits. An activity handed to a poll whose caller
/// went away before it returned goes back to the front of its queue.
public final class InMemoryActivityBroker: ActivityBroker {
    public let config: ActivityBrokerConfig
    private let clock: EngineClock
    private let observer: (any ActivityBrokerObserver)?
    private let state = Mutex(BrokerState())

    /// - Parameters:
    ///   - clock: Times schedule-to-start, the retention of cancelled tokens and the deadlines handed to workers.
    ///   - observer: Hears every change of a queue's counts (metrics).
    public init(config: ActivityBrokerConfig = .defaults, clock: EngineClock, observer: (any ActivityBrokerObserver)? = nil) {
        self.config = config
        self.clock = clock
        self.observer = observer
    }

    public var pendingActivities: Int {
        state.withLock { state in state.queues.values.reduce(0) { $0 + $1.pending.count } }
    }

    /// The counts of every queue in use, sorted by name.
    public func queueStats() -> [QueueStats] {
        state.withLock { state in state.queues.keys.sorted().map { state.stats(of: $0) } }
    }

    // MARK: Owner side

    public func execute(_ activity: Activity, queue: String, heartbeat: HeartbeatRecorder) async throws
        -> ActivityOutput
    {
        if let problem = config.problem(withQueueName: queue) {
            throw ActivityFailure(problem, type: "InvalidQueue", retryable: false)
        }
        let token = TaskToken.fresh(workflowID: activity.workflowID, taskID: activity.task.id, attempt: activity.attempt)
        guard let limit = activity.task.timeouts.scheduleToStart ?? config.scheduleToStartTimeout else {
            return try await enqueueAndWait(activity, token: token, queue: queue, heartbeat: heartbeat)
        }
        let clock = clock
        return try await withThrowingTaskGroup(of: ActivityOutput?.self) { group in
            group.addTask { try await self.enqueueAndWait(activity, token: token, queue: queue, heartbeat: heartbeat) }
            group.addTask {
                try? await clock.sleep(for: limit)
                if !Task.isCancelled { self.expire(token, queue: queue, after: limit) }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let output = next { return output }
            }
            throw CancellationError()
        }
    }

    private func enqueueAndWait(_ activity: Activity, token: TaskToken, queue: String, heartbeat: HeartbeatRecorder)
        async throws -> ActivityOutput
    {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ActivityOutput, any Error>) in
                let entry = QueuedActivity(
                    token: token, activity: activity, queue: queue, heartbeat: heartbeat, continuation: continuation)
                let action = state.withLock { state -> EnqueueAction in
                    // Checked under the lock: a cancellation handler that ran before this found nothing to cancel.
                    if Task.isCancelled { return .fail(CancellationError()) }
                    if state.queues[queue] == nil && state.queues.count >= config.maxQueues {
                        return .fail(ActivityFailure(
                            config.tooManyQueues(queue),
                            type: "QueueFull"))
                    }
                    return state.update(queue, observer) { lane in
                        if let poller = lane.pollers.popFirst() {
                            lane.running += 1
                            return .handOff(poller.continuation)
                        }
                        if lane.pending.count >= config.maxPendingPerQueue {
                            return .fail(ActivityFailure(
                                "queue \(queue.debugDescription) holds \(lane.pending.count) pending activities, "
                                    + "the limit (WEFT_MAX_QUEUE_PENDING)", type: "QueueFull"))
                        }
                        lane.pending.append(entry)
                        return .queued
                    } after: { state, action in
                        if case .handOff = action { state.running[token] = entry }
                    }
                }
                switch action {
                case .queued: break
                case .handOff(let poller): poller.resume(returning: entry)
                case .fail(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                state.remove(token, queue: queue, observer, markCancelled: clock.now(), config: config)
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Fails the attempt with `ScheduleToStartTimeout` if it still waits for a worker.
    private func expire(_ token: TaskToken, queue: String, after limit: Duration) {
        let continuation = state.withLock { state -> CheckedContinuation<ActivityOutput, any Error>? in
            guard state.queues[queue]?.pending.contains(where: { $0.token == token }) == true else { return nil }
            return state.remove(token, queue: queue, observer, markCancelled: nil, config: config)
        }
        continuation?.resume(throwing: ActivityFailure(
            "no worker took the task from queue \(queue.debugDescription) within \(ActivityRunner.describe(limit)) "
                + "(schedule-to-start timeout)", type: "ScheduleToStartTimeout", retryable: false))
    }

    private enum EnqueueAction {
        case queued
        case handOff(CheckedContinuation<QueuedActivity?, Never>)
        case fail(any Error)
    }

    // MARK: Worker side

    public func poll(queue: String, workerID: String, identity: String, wait: Duration) async throws -> PolledActivity? {
        if let problem = config.problem(withQueueName: queue) { throw EngineError(.invalidArgument, "queue: \(problem)") }
        let id = try state.withLock { state throws(EngineError) -> UInt64 in
            if state.closed { throw EngineError(.unavailable, "the server is shutting down: poll another server") }
            if state.queues[queue] == nil && state.queues.count >= config.maxQueues {
                throw EngineError(
                    .resourceExhausted,
                    config.tooManyQueues(queue))
            }
            state.nextPollerID += 1
            return state.nextPollerID
        }
        let clock = clock
        let taken = await Self.waiting(wait, clock: clock) { await self.waitForActivity(queue: queue, pollerID: id) }
        guard let taken else { return nil }
        if Task.isCancelled {
            requeue(taken)
            return nil
        }
        taken.heartbeat.markStarted()
        let deadline = clock.unixMilliseconds() &+ UInt64(clamping: taken.activity.startToCloseTimeout.wholeMilliseconds)
        return PolledActivity(token: taken.token, activity: taken.activity, deadlineUnixMs: deadline)
    }

    /// The front activity of `queue`, or the next one to arrive; nil when cancelled first.
    private func waitForActivity(queue: String, pollerID: UInt64) async -> QueuedActivity? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<QueuedActivity?, Never>) in
                let taken = state.withLock { state -> QueuedActivity?? in
                    if Task.isCancelled || state.closed { return .some(nil) }
                    return state.update(queue, observer) { lane -> QueuedActivity?? in
                        if let entry = lane.pending.popFirst() {
                            lane.running += 1
                            return .some(entry)
                        }
                        lane.pollers.append(WaitingPoll(id: pollerID, continuation: continuation))
                        return .none
                    } after: { state, taken in
                        if case .some(.some(let entry)) = taken { state.running[entry.token] = entry }
                    }
                }
                if case .some(let entry) = taken { continuation.resume(returning: entry) }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                state.update(queue, observer) { lane -> CheckedContinuation<QueuedActivity?, Never>? in
                    guard let index = lane.pollers.firstIndex(where: { $0.id == pollerID }) else { return nil }
                    return lane.pollers.remove(at: index).continuation
                }
            }
            continuation?.resume(returning: nil)
        }
    }

    public func shutdown() {
        let polls = state.withLock { state -> [CheckedContinuation<QueuedActivity?, Never>] in
            state.closed = true
            var polls: [CheckedContinuation<QueuedActivity?, Never>] = []
            for queue in state.queues.keys.sorted() {
                polls += state.update(queue, observer) { lane in
                    defer { lane.pollers.removeAll() }
                    return lane.pollers.map(\.continuation)
                }
            }
            return polls
        }
        for poll in polls { poll.resume(returning: nil) }
    }

    /// Puts an activity that never reached its worker back at the front of its queue (or to a waiting poll).
    private func requeue(_ entry: QueuedActivity) {
        let poller = state.withLock { state -> CheckedContinuation<QueuedActivity?, Never>? in
            // Gone when its owner cancelled it meanwhile.
            guard state.running.removeValue(forKey: entry.token) != nil else { return nil }
            return state.update(entry.queue, observer) { lane in
                if let poller = lane.pollers.popFirst() { return poller.continuation }
                lane.running -= 1
                lane.pending.prepend(entry)
                return nil
            } after: { state, poller in
                if poller != nil { state.running[entry.token] = entry }
            }
        }
        poller?.resume(returning: entry)
    }

    public func recordHeartbeat(token: TaskToken, details: String) async throws -> Bool {
        try config.checkHeartbeatDetails(details)
        let now = clock.now()
        let found = state.withLock { state -> (HeartbeatRecorder?, cancelled: Bool) in
            if let entry = state.running[token] { return (entry.heartbeat, false) }
            return (nil, state.isCancelled(token, now: now))
        }
        if let recorder = found.0 {
            recorder(details)
            return false
        }
        if found.cancelled { return true }
        throw Self.stale(token)
    }

    public func complete(token: TaskToken, outcome: ActivityCompletion) async throws {
        let now = clock.now()
        let found = state.withLock { state -> (QueuedActivity?, cancelled: Bool) in
            guard let entry = state.running.removeValue(forKey: token) else {
                return (nil, state.isCancelled(token, now: now))
            }
            state.update(entry.queue, observer) { $0.running -= 1 }
            return (entry, false)
        }
        guard let entry = found.0 else {
            throw found.cancelled
                ? EngineError(.notFound, "\(token) was cancelled or timed out: its outcome is discarded")
                : Self.stale(token)
        }
        switch outcome {
        case .result(let output): entry.continuation.resume(returning: ActivityOutput(output: output))
        case .failure(let failure): entry.continuation.resume(throwing: failure)
        }
    }

    private static func stale(_ token: TaskToken) -> EngineError {
        EngineError(
            .notFound,
            "\(token) is not running: the token is stale (the attempt completed, timed out or was cancelled) or unknown")
    }
}

/// An activity waiting for a worker or held by one; `continuation` is its owner's ``InMemoryActivityBroker/execute``.
struct QueuedActivity: Sendable {
    let token: TaskToken
    let activity: Activity
    let queue: String
    let heartbeat: HeartbeatRecorder
    let continuation: CheckedContinuation<ActivityOutput, any Error>
}

/// A poll waiting for an activity.
struct WaitingPoll: Sendable {
    let id: UInt64
    let continuation: CheckedContinuation<QueuedActivity?, Never>
}

extension Duration {
    /// Whole milliseconds, clamped at zero.
    fileprivate var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(0, seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000)
    }
}
