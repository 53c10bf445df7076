extension EventHistory {
    /// A consumer waiting for the next append, and what to resume it with once the lock is released.
    struct Wakeup {
        var continuation: CheckedContinuation<WorkflowEvent?, any Error>
        /// nil ends the watcher's stream.
        var event: WorkflowEvent?

        func run() {
            continuation.resume(returning: event)
        }
    }

    /// What a read found.
    enum ReadResult {
        case event(WorkflowEvent)
        /// The stream is over: the terminal event was read, the watcher was cancelled, or it already failed.
        case end
        case failure(EngineError)
        /// Nothing to read yet and no continuation was offered.
        case empty
        /// Nothing to read yet; the offered continuation is resumed by a later append or cancellation.
        case parked
    }

    /// One watcher's place in the history. The history itself is the watcher's buffer: replay and backlog are read
    /// from it, so a watcher costs the same memory however far behind it is.
    struct Watcher {
        /// The last sequence handed to the consumer (initially the watch's `afterSequence`).
        var position: UInt64
        /// The last sequence when the watch began. Lag is counted from here, so a long replay is not "falling
        /// behind"; only events appended after the watch began and not yet read are.
        var liveFrom: UInt64
        /// The consumer, while it waits for an append.
        var waiter: CheckedContinuation<WorkflowEvent?, any Error>?
        /// Set when the watcher fell too far behind; thrown at its next read.
        var failure: EngineError?
    }

    /// One workflow's events and watchers: a value type whose transitions return the continuations to resume, so
    /// that nothing is resumed while the lock is held.
    struct State {
        let workflowID: String
        let watcherBufferLimit: UInt64
        private(set) var events: [WorkflowEvent] = []
        private(set) var isFinished = false
        private var watchers: [UInt64: Watcher] = [:]
        private var nextWatcherID: UInt64 = 0

        init(workflowID: String, watcherBufferLimit: Int) {
            self.workflowID = workflowID
            self.watcherBufferLimit = UInt64(watcherBufferLimit)
        }

        var lastSequence: UInt64 { UInt64(events.count) }

        /// Stores the next event and hands it to every watcher waiting for exactly that sequence; watchers that are
        /// not reading and now lag more than the limit are marked failed (they learn it at their next read).
        mutating func append(
            timeUnixMs: UInt64,
            progress: Progress,
            payload: WorkflowEvent.Payload
        ) throws(EngineError) -> (WorkflowEvent, [Wakeup]) {
            guard !isFinished else {
                throw EngineError(
                    .failedPrecondition,
                    "workflow \"\(workflowID)\" has ended with event \(lastSequence); nothing may follow its terminal event"
                )
            }
            let sequence = lastSequence + 1
            let event = WorkflowEvent(
                sequence: sequence,
                workflowID: workflowID,
                timeUnixMs: timeUnixMs,
                progress: progress,
                payload: payload
            )
            events.append(event)
            isFinished = payload.isTerminal

            var wakeups: [Wakeup] = []
            for index in watchers.values.indices {
                let watcher = watchers.values[index]
                guard watcher.failure == nil else { continue }
                if let waiter = watcher.waiter {
                    if sequence == watcher.position + 1 {
                        watchers.values[index].position = sequence
                        watchers.values[index].waiter = nil
                        wakeups.append(Wakeup(continuation: waiter, event: event))
                    } else if isFinished {
                        // Waiting past the end of a workflow that has now ended.
                        watchers.values[index].waiter = nil
                        wakeups.append(Wakeup(continuation: waiter, event: nil))
                    }
                    continue
                }
                let base = max(watcher.position, watcher.liveFrom)
                if sequence > base, sequence - base > watcherBufferLimit {
                    watchers.values[index].failure = EngineError(
                        .resourceExhausted,
                        "watcher fell more than \(watcherBufferLimit) events behind; "
                            + "resume with after_sequence = \(watcher.position)"
                    )
                }
            }
            return (event, wakeups)
        }

        /// Registers a watcher that will read the events after `afterSequence`.
        mutating func addWatcher(afterSequence: UInt64) -> UInt64 {
            let id = nextWatcherID
            nextWatcherID += 1
            watchers[id] = Watcher(position: afterSequence, liveFrom: lastSequence)
            return id
        }

        /// The watcher's next event, its end or its failure; when there is nothing yet, parks `continuation` if one
        /// is given. A watcher whose stream is over is removed.
        mutating func read(
            watcher id: UInt64,
            parking continuation: CheckedContinuation<WorkflowEvent?, any Error>?
        ) -> ReadResult {
            guard let watcher = watchers[id] else { return .end }
            if let failure = watcher.failure {
                watchers[id] = nil
                return .failure(failure)
            }
            if watcher.position < lastSequence {
                let event = events[Int(watcher.position)]
                watchers[id]?.position = event.sequence
                return .event(event)
            }
            if isFinished {
                watchers[id] = nil
                return .end
            }
            guard let continuation else { return .empty }
            watchers[id]?.waiter = continuation
            return .parked
        }

        /// Forgets a watcher, returning its parked consumer (to be resumed with nil) if it has one.
        mutating func removeWatcher(_ id: UInt64) -> CheckedContinuation<WorkflowEvent?, any Error>? {
            watchers.removeValue(forKey: id)?.waiter
        }

        var watcherCount: Int { watchers.count }
    }
}
