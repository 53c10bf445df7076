import Synchronization

/// One workflow's events and its watchers, behind its own lock so that workflows do not contend with each other.
///
/// Sequence numbers are assigned and events stored under the lock, and each watcher reads the history in order
/// from its own position, so every watcher sees 1, 2, 3, … without gaps or duplicates however appends and reads
/// interleave. Parked readers are resumed after the lock is released; an append never waits for a watcher.
///
/// Watchers hold this object, not the log: when the log evicts a finished workflow, streams already open read on
/// to the end of the history.
final class EventHistory: Sendable {
    let workflowID: String
    private let state: Mutex<State>

    init(workflowID: String, watcherBufferLimit: Int) {
        self.workflowID = workflowID
        self.state = Mutex(State(workflowID: workflowID, watcherBufferLimit: watcherBufferLimit))
    }

    var lastSequence: UInt64 { state.withLock { $0.lastSequence } }

    /// Watchers registered and not yet ended (for tests).
    var watcherCount: Int { state.withLock { $0.watcherCount } }

    /// Assigns the next sequence number, stores the event and wakes the watchers waiting for it.
    func append(timeUnixMs: UInt64, progress: Progress, payload: WorkflowEvent.Payload) throws(EngineError)
        -> WorkflowEvent
    {
        let (event, wakeups) = try state.withLock { state throws(EngineError) in
            try state.append(timeUnixMs: timeUnixMs, progress: progress, payload: payload)
        }
        for wakeup in wakeups {
            wakeup.run()
        }
        return event
    }

    /// A stream of the events after `afterSequence`, ending after the terminal event. The watcher's position is
    /// fixed here, under the lock, so nothing appended afterwards can be missed.
    func watch(afterSequence: UInt64) -> AsyncThrowingStream<WorkflowEvent, any Error> {
        let cursor = Cursor(history: self, watcherID: state.withLock { $0.addWatcher(afterSequence: afterSequence) })
        return AsyncThrowingStream { try await cursor.next() }
    }

    fileprivate func next(watcher id: UInt64) async throws -> WorkflowEvent? {
        switch state.withLock({ $0.read(watcher: id, parking: nil) }) {
        case .event(let event): return event
        case .end, .parked: return nil
        case .failure(let error): throw error
        case .empty: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                switch state.withLock({ $0.read(watcher: id, parking: continuation) }) {
                case .parked: break
                case .event(let event): continuation.resume(returning: event)
                case .end, .empty: continuation.resume(returning: nil)
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            // Removing the watcher also covers a cancellation that lands before the reader parks: the read then
            // finds no watcher and ends.
            removeWatcher(id)
        }
    }

    fileprivate func removeWatcher(_ id: UInt64) {
        state.withLock { $0.removeWatcher(id) }?.resume(returning: nil)
    }
}

extension EventHistory {
    /// A watcher's handle, owned by its stream: when the consumer stops iterating and drops the stream, `deinit`
    /// unregisters the watcher.
    private final class Cursor: Sendable {
        let history: EventHistory
        let watcherID: UInt64

        init(history: EventHistory, watcherID: UInt64) {
            self.history = history
            self.watcherID = watcherID
        }

        deinit {
            history.removeWatcher(watcherID)
        }

        func next() async throws -> WorkflowEvent? {
            try await history.next(watcher: watcherID)
        }
    }
}
