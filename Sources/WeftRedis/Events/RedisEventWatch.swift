import WeftEngine

/// One watcher of a workflow's stream: subscribe, replay, then follow (see ``RedisEventLog``).
struct RedisEventWatch: Sendable {
    let client: RedisClient
    let subscriber: RedisSubscriber
    let layout: RedisWorkflowLayout
    let pageSize: Int
    let pollInterval: Duration
    let registry: RedisWatchRegistry

    /// How long a watch reads every ``unconfirmedPollInterval`` while Redis has not confirmed its subscription;
    /// past it, the periodic re-read covers what a late subscription would miss.
    private static let subscribeWait: Duration = .seconds(1)
    private static let unconfirmedPollInterval: Duration = .milliseconds(2)
    /// How long the reader waits when the consumer has a full buffer (a page) unread.
    private static let consumerWait: Duration = .milliseconds(10)

    func start(workflowID: String, afterSequence: UInt64) async throws -> AsyncThrowingStream<WorkflowEvent, any Error> {
        // Subscribed before anything is read: an event appended from here on is either read or notified.
        let subscription = subscriber.subscribe(channels: [layout.updatesChannel(workflowID)])
        let exists: Int64
        do {
            exists = try await client.command("EXISTS", RedisArgument(layout.streamKey(workflowID))).integer ?? 0
        } catch {
            subscription.cancel()
            throw EngineError(.unavailable, "cannot read workflow \"\(workflowID)\" from Redis: \(error.message)")
        }
        guard exists > 0 else {
            subscription.cancel()
            throw EngineError(.notFound, "workflow \"\(workflowID)\" not found")
        }
        // Bounded: a slow consumer makes the reader wait (and read again from where it stopped), not buffer.
        let (events, continuation) = AsyncThrowingStream<WorkflowEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(pageSize))
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in subscription.messages { wake.yield() }
                }
                group.addTask {
                    // Until Redis confirms the subscription (a few ms, up to the subscriber's poll interval), read
                    // often, so events appended meanwhile are not held back; then notifications drive the reads,
                    // with a slow periodic read as a safety net.
                    let deadline = ContinuousClock.now + Self.subscribeWait
                    while !subscription.isActive, ContinuousClock.now < deadline, !Task.isCancelled {
                        try? await Task.sleep(for: Self.unconfirmedPollInterval)
                        wake.yield()
                    }
                    wake.yield()
                    while !Task.isCancelled {
                        try? await Task.sleep(for: pollInterval)
                        wake.yield()
                    }
                }
                group.addTask {
                    await follow(workflowID, after: afterSequence, wakeups: wakeups, into: continuation)
                }
                await group.next()
                group.cancelAll()
            }
            subscription.cancel()
        }
        let registration = registry.register { error in
            continuation.finish(throwing: error)
        }
        guard let registration else {
            task.cancel()
            subscription.cancel()
            throw EngineError(.unavailable, "the server is shutting down")
        }
        continuation.onTermination = { [registry] _ in
            task.cancel()
            subscription.cancel()
            registry.unregister(registration)
        }
        return events
    }

    /// Reads the stream after the last sequence delivered, at once and then on every wake-up, until the terminal
    /// event. The subscription was requested before the first read, and reads go on until it is confirmed, so no
    /// event falls between the replay and the notifications.
    private func follow(
        _ workflowID: String, after afterSequence: UInt64, wakeups: AsyncStream<Void>,
        into continuation: AsyncThrowingStream<WorkflowEvent, any Error>.Continuation
    ) async {
        var position = afterSequence
        var checkedEnd = afterSequence == 0
        var iterator = wakeups.makeAsyncIterator()
        reading: while !Task.isCancelled {
            do {
                let (events, full) = try await read(workflowID, after: position)
                for event in events where event.sequence > position {
                    guard event.sequence == position + 1 else {
                        continuation.finish(throwing: EngineError(
                            .failedPrecondition,
                            "events \(position + 1)...\(event.sequence - 1) of workflow \"\(workflowID)\" are no "
                                + "longer in Redis (trimmed or expired); watch after sequence \(event.sequence - 1)"))
                        return
                    }
                    switch continuation.yield(event) {
                    case .enqueued: break
                    case .dropped:
                        // The consumer's buffer is full: wait a little, then read on after the last one it took.
                        try? await Task.sleep(for: Self.consumerWait)
                        continue reading
                    case .terminated: return
                    @unknown default: return
                    }
                    position = event.sequence
                    if event.payload.isTerminal {
                        continuation.finish()
                        return
                    }
                }
                if full { continue }
                if !checkedEnd {
                    // A watch from past the end of a finished workflow ends at once.
                    checkedEnd = true
                    if try await endsAtOrBefore(workflowID, position) {
                        continuation.finish()
                        return
                    }
                }
            } catch let error as EngineError {
                continuation.finish(throwing: error)
                return
            } catch {
                // Redis is unreachable: wait for the next wake-up (the periodic one at least) and read again.
            }
            guard await iterator.next() != nil else { break }
        }
        continuation.finish()
    }

    /// Up to a page of events after `position`, and whether the page was full.
    private func read(_ workflowID: String, after position: UInt64) async throws -> ([WorkflowEvent], Bool) {
        let reply = try await client.command(
            "XRANGE", RedisArgument(layout.streamKey(workflowID)),
            RedisArgument("(" + RedisWorkflowLayout.entryID(position)), "+", "COUNT", RedisArgument(pageSize))
        let events = try RedisEventCodec.events(fromRange: reply)
        return (events, events.count == pageSize)
    }

    /// Whether the stream's last event is terminal and at or before `position`.
    private func endsAtOrBefore(_ workflowID: String, _ position: UInt64) async throws -> Bool {
        let reply = try await client.command(
            "XREVRANGE", RedisArgument(layout.streamKey(workflowID)), "+", "-", "COUNT", "1")
        guard let last = try RedisEventCodec.events(fromRange: reply).first else { return false }
        return last.payload.isTerminal && last.sequence <= position
    }
}
