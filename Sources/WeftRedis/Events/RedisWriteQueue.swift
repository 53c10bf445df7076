import Logging
import Synchronization
import WeftEngine

/// The writes of appended events, sent to Redis in order by one writer, in batches, through outages.
///
/// Appends return once their write is queued, so a workflow never waits for Redis on its hot path; the writer sends
/// everything queued (up to `maxBatch` events) as one transaction in one round trip. While Redis is unreachable the queue holds the writes, in order,
/// and retries; once it holds `limit` writes, appends wait (suspended, never blocking a thread) until there is room:
/// a run slows down rather than lose an event. A write that must be stored before its caller goes on (a workflow's
/// accepted event) bypasses the queue (``writeNow(_:)``) and is refused at once while Redis is known to be down.
///
/// Retrying a batch whose reply was lost after Redis ran it is harmless: every event has a fixed stream id
/// (`0-{seq}`), so a repeated `XADD` is refused inside the transaction while the idempotent `HSET`s are repeated,
/// and watchers drop a repeated notification by sequence.
final class RedisWriteQueue: Sendable {
    private struct Entry {
        var id: UInt64
        var write: RedisEventWrite
        var bytes: Int
    }

    private struct State {
        var entries: [Entry] = []
        var bytes = 0
        var nextID: UInt64 = 0
        var available = true
        var lastError = ""
        var writerWaiting: CheckedContinuation<Void, Never>?
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        /// The writer has stopped (shutdown): appends are dropped rather than wait for room forever; the workflows
        /// they belong to are still active in Redis and resume, re-running what these writes would have recorded.
        var stopped = false

        mutating func wakeWriter() -> CheckedContinuation<Void, Never>? {
            defer { writerWaiting = nil }
            return writerWaiting
        }
    }

    private let client: RedisClient
    private let codec: RedisEventCodec
    private let limit: Int
    private let maxBatch: Int
    private let retryDelay: Duration
    private let probeInterval: Duration
    private let logger: Logger
    private let onAvailability: @Sendable (Bool) -> Void
    private let state = Mutex(State())

    init(
        client: RedisClient, codec: RedisEventCodec, limit: Int, maxBatch: Int = 512,
        retryDelay: Duration = .milliseconds(200), probeInterval: Duration, logger: Logger,
        onAvailability: @escaping @Sendable (Bool) -> Void
    ) {
        precondition(limit >= 1, "the write buffer limit must be at least 1")
        self.client = client
        self.codec = codec
        self.limit = limit
        self.maxBatch = maxBatch
        self.retryDelay = retryDelay
        self.probeInterval = probeInterval
        self.logger = logger
        self.onAvailability = onAvailability
    }

    var backlog: RedisWriteBacklog { state.withLock { RedisWriteBacklog(count: $0.entries.count, bytes: $0.bytes) } }

    /// Whether the last write or probe reached Redis.
    var isAvailable: Bool { state.withLock { $0.available } }

    /// Queues a write; waits while the queue is full.
    func enqueue(_ write: RedisEventWrite) async {
        while true {
            let queued = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                if state.stopped { return (true, nil) }
                guard state.entries.count < limit else { return (false, nil) }
                append(write, to: &state)
                return (true, state.wakeWriter())
            }
            if queued.0 {
                queued.1?.resume()
                return
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let full = state.withLock { state -> Bool in
                    guard state.entries.count >= limit, !state.stopped else { return false }
                    state.spaceWaiters.append(continuation)
                    return true
                }
                if !full { continuation.resume() }
            }
        }
    }

    /// Writes at once, beside the queue, and returns once Redis has stored it: for the first write of a workflow
    /// (nothing of that workflow is queued, and nothing follows before this returns), so a submission waits one
    /// round trip, not for the batches of running workflows.
    /// - Throws: ``EngineError`` UNAVAILABLE at once while Redis is known to be down, or when the write fails.
    func writeNow(_ write: RedisEventWrite) async throws {
        let known = state.withLock { $0.available ? nil : $0.lastError }
        if let known { throw Self.unavailable(known) }
        do {
            checkReplies(try await client.pipeline(codec.transaction([write])))
            setAvailable(true, error: "")
        } catch {
            setAvailable(false, error: error.message)
            throw Self.unavailable(error.message)
        }
    }

    private func append(_ write: RedisEventWrite, to state: inout State) {
        let bytes = write.bytes
        state.entries.append(Entry(id: state.nextID, write: write, bytes: bytes))
        state.nextID += 1
        state.bytes += bytes
    }

    private static func unavailable(_ cause: String) -> EngineError {
        EngineError(.unavailable, "Redis is unreachable, so the workflow cannot be stored\(cause.isEmpty ? "" : ": \(cause)"); retry later")
    }

    // MARK: - The writer

    /// Sends queued writes until cancelled, and probes Redis while idle so that availability is known without
    /// traffic. On cancellation one last attempt is made to send what is queued.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.probe() }
            group.addTask { await self.write() }
            await group.next()
            group.cancelAll()
        }
        if backlog.count > 0 { _ = await flushOnce() }
        failWaiters()
    }

    private func write() async {
        while !Task.isCancelled {
            let hasWork = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state -> Bool in
                        if !state.entries.isEmpty { return true }
                        state.writerWaiting = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
                return true
            } onCancel: {
                state.withLock { $0.wakeWriter() }?.resume()
            }
            guard hasWork, !Task.isCancelled else { return }
            if await !flushOnce() {
                try? await Task.sleep(for: retryDelay)
            }
        }
    }

    /// Sends up to `maxBatch` queued writes in one round trip; returns whether Redis took them.
    private func flushOnce() async -> Bool {
        let batch = state.withLock { state in Array(state.entries.prefix(maxBatch)) }
        guard !batch.isEmpty else { return true }
        do {
            let replies = try await client.pipeline(codec.transaction(batch.map(\.write)))
            checkReplies(replies)
            let waiters = state.withLock { state in
                state.entries.removeFirst(batch.count)
                state.bytes -= batch.reduce(0) { $0 + $1.bytes }
                defer { state.spaceWaiters = [] }
                return state.spaceWaiters
            }
            setAvailable(true, error: "")
            for waiter in waiters { waiter.resume() }
            return true
        } catch {
            setAvailable(false, error: error.message)
            return false
        }
    }

    /// Logs error replies inside the transactions, except the refusal of an event already stored (a retried batch).
    private func checkReplies(_ replies: [RedisValue]) {
        for reply in replies {
            let nested = reply.array ?? [reply]
            for value in nested {
                guard case .error(let message) = value else { continue }
                if message.contains("equal or smaller") { continue }
                logger.error("Redis refused a workflow write", metadata: ["error": "\(message)"])
            }
        }
    }

    private func probe() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: probeInterval)
            if Task.isCancelled { return }
            // While writes are queued the writer's outcome is the probe.
            guard backlog.count == 0 else { continue }
            do {
                _ = try await client.command("PING")
                setAvailable(true, error: "")
            } catch {
                setAvailable(false, error: error.message)
            }
        }
    }

    private func setAvailable(_ available: Bool, error: String) {
        let changed = state.withLock { state -> Bool in
            state.lastError = error
            defer { state.available = available }
            return state.available != available
        }
        guard changed else { return }
        if available {
            logger.info("Redis is reachable again: flushing buffered workflow writes")
        } else {
            logger.warning("Redis is unreachable: buffering workflow writes", metadata: ["error": "\(error)"])
        }
        onAvailability(available)
    }

    /// After the writer stopped: appends waiting for room go on (and are dropped).
    private func failWaiters() {
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.spaceWaiters = [] }
            return state.spaceWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
