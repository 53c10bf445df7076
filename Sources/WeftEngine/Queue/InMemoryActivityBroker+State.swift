import DequeModule

/// One queue of an ``InMemoryActivityBroker``.
struct QueueLane: Sendable {
    var pending = Deque<QueuedActivity>()
    var pollers = Deque<WaitingPoll>()
    /// Activities taken by workers and not completed.
    var running = 0

    var isIdle: Bool { pending.isEmpty && pollers.isEmpty && running == 0 }
}

/// Everything an ``InMemoryActivityBroker`` holds, changed only under its lock.
struct BrokerState: Sendable {
    var queues: [String: QueueLane] = [:]
    /// Attempts held by workers, by token.
    var running: [TaskToken: QueuedActivity] = [:]
    /// Tokens of attempts cancelled while a worker held them, with when they are forgotten (in that order).
    var cancelled: [TaskToken: Duration] = [:]
    var cancelledOrder = Deque<(token: TaskToken, forgetAt: Duration)>()
    var nextPollerID: UInt64 = 0
    /// Set by shutdown: polls are refused.
    var closed = false

    func stats(of queue: String) -> QueueStats {
        let lane = queues[queue] ?? QueueLane()
        return QueueStats(queue: queue, pending: lane.pending.count, waitingPollers: lane.pollers.count, running: lane.running)
    }

    /// Changes one queue (created on demand, dropped when idle), runs `after` on the whole state, and tells the
    /// observer the new counts.
    mutating func update<R>(
        _ queue: String, _ observer: (any ActivityBrokerObserver)?, _ change: (inout QueueLane) -> R,
        after: (inout BrokerState, R) -> Void = { _, _ in }
    ) -> R {
        var lane = queues.removeValue(forKey: queue) ?? QueueLane()
        let result = change(&lane)
        if !lane.isIdle { queues[queue] = lane }
        after(&self, result)
        observer?.queueChanged(
            QueueStats(queue: queue, pending: lane.pending.count, waitingPollers: lane.pollers.count, running: lane.running))
        return result
    }

    /// Removes an attempt, pending or held by a worker; a held one's token is remembered as cancelled when
    /// `markCancelled` (the time now) is given. Returns its owner's continuation, nil when it is gone already.
    mutating func remove(
        _ token: TaskToken, queue: String, _ observer: (any ActivityBrokerObserver)?, markCancelled now: Duration?,
        config: ActivityBrokerConfig
    ) -> CheckedContinuation<ActivityOutput, any Error>? {
        if let entry = running.removeValue(forKey: token) {
            update(queue, observer) { $0.running -= 1 }
            if let now { remember(cancelled: token, now: now, config: config) }
            return entry.continuation
        }
        guard queues[queue]?.pending.contains(where: { $0.token == token }) == true else { return nil }
        return update(queue, observer) { lane in
            lane.pending.firstIndex { $0.token == token }.map { lane.pending.remove(at: $0).continuation }
        }
    }

    mutating func remember(cancelled token: TaskToken, now: Duration, config: ActivityBrokerConfig) {
        forgetExpired(now: now)
        let forgetAt = now + config.cancelledTokenRetention
        cancelled[token] = forgetAt
        cancelledOrder.append((token, forgetAt))
        while cancelledOrder.count > config.maxCancelledTokens, let oldest = cancelledOrder.popFirst() {
            cancelled.removeValue(forKey: oldest.token)
        }
    }

    func isCancelled(_ token: TaskToken, now: Duration) -> Bool {
        guard let forgetAt = cancelled[token] else { return false }
        return now < forgetAt
    }

    private mutating func forgetExpired(now: Duration) {
        while let oldest = cancelledOrder.first, oldest.forgetAt <= now {
            cancelledOrder.removeFirst()
            cancelled.removeValue(forKey: oldest.token)
        }
    }
}
