import DequeModule

/// The workflows an ``InMemoryEventLog`` knows, and which finished ones to forget: those finished longer than the
/// retention time ago, and the oldest finished beyond the count limit. Running workflows are never evicted.
struct EventRegistry {
    private struct Finished {
        var history: EventHistory
        /// Time on the log's clock, since the log was made.
        var at: Duration
    }

    let retention: Duration
    let maxFinishedWorkflows: Int
    private var histories: [String: EventHistory] = [:]
    /// In the order the workflows finished, so the oldest is first (both limits evict from the front).
    private var finished: Deque<Finished> = []

    init(retention: Duration, maxFinishedWorkflows: Int) {
        self.retention = retention
        self.maxFinishedWorkflows = maxFinishedWorkflows
    }

    func history(_ workflowID: String) -> EventHistory? {
        histories[workflowID]
    }

    /// Adds a new workflow's history; false if the id is taken.
    mutating func insert(_ history: EventHistory) -> Bool {
        guard histories[history.workflowID] == nil else { return false }
        histories[history.workflowID] = history
        return true
    }

    /// Forgets the finished workflows whose retention has run out. `now` is read only if one is finished.
    mutating func evictExpired(now: () -> Duration) {
        guard !finished.isEmpty else { return }
        let now = now()
        while let oldest = finished.first, now - oldest.at >= retention {
            evictOldest()
        }
    }

    /// Notes that a workflow has ended at `now`, then enforces the count limit.
    mutating func recordFinished(_ history: EventHistory, at now: Duration) {
        guard histories[history.workflowID] === history else { return }
        finished.append(Finished(history: history, at: now))
        while finished.count > maxFinishedWorkflows {
            evictOldest()
        }
    }

    private mutating func evictOldest() {
        guard let oldest = finished.popFirst() else { return }
        if histories[oldest.history.workflowID] === oldest.history {
            histories[oldest.history.workflowID] = nil
        }
    }
}
