public import Logging
import Synchronization
public import WeftEngine

/// Event writes waiting for Redis: the gauge for admission control (``RedisEventLog/backlog``).
public struct RedisWriteBacklog: Sendable, Hashable {
    /// Events (each with its state) queued and not yet confirmed by Redis.
    public var count: Int
    /// Their size in bytes, as sent.
    public var bytes: Int

    public init(count: Int = 0, bytes: Int = 0) {
        self.count = count
        self.bytes = bytes
    }
}

/// The Redis mode's ``EventLog`` and ``WorkflowStore``: every event on the stream `workflow:stream:{id}`, announced on
/// `workflow:updates:{id}`, with the workflow's durable state beside it (``RedisWorkflowLayout``).
///
/// **Writes.** This process runs the workflow and assigns its sequence numbers; each event and the state it announces
/// are queued and sent in batches by one writer (``RedisWriteQueue``), each batch one `MULTI … EXEC` transaction
/// ending with the `PUBLISH` of each workflow's last sequence (``RedisEventCodec``). A workflow's accepted event is stored before ``append``
/// returns, or refused with UNAVAILABLE; later events are buffered (bounded) through Redis outages.
///
/// **Watching** reads Redis only, so a watcher on any weftd sharing the Redis sees the same events: it subscribes to
/// the workflow's channel on the process's one ``RedisSubscriber`` connection (shared by every watcher), then replays
/// with `XRANGE` after `after_sequence`, then reads the stream again on each notification. Subscribing before the
/// first read leaves no gap; reading by sequence drops duplicates. A notification lost while the subscriber
/// reconnects is covered by a periodic re-read (``Settings/watchPollInterval``).
public final class RedisEventLog: EventLog, WorkflowStore {
    public struct Settings: Sendable, Hashable {
        public var layout = RedisWorkflowLayout()
        /// The approximate cap on a stream's entries (`XADD MAXLEN ~`). Default 100,000.
        public var streamMaxLength = 100_000
        /// How long a finished workflow's stream and state stay in Redis (`EXPIRE`). Default 1 hour.
        public var retention: Duration = .seconds(3600)
        /// Event writes held while Redis is unreachable; past it, workflows wait for room. Default 10,000.
        public var writeBufferLimit = 10_000
        /// How often Redis is pinged while no write is pending, to know it is reachable. Default 500 ms.
        public var probeInterval: Duration = .milliseconds(500)
        /// How often a watcher re-reads the stream without a notification. Default 1 s.
        public var watchPollInterval: Duration = .seconds(1)
        /// Entries per `XRANGE` read. Default 1,000.
        public var readPageSize = 1000
        /// The lifetime of this process's lease key (`weft:wf:owner:{instance}`), refreshed five times per lifetime.
        /// After a crash, another process takes the workflows over once it has expired. Default 5 s.
        public var lease: Duration = .seconds(5)

        public init() {}
    }

    public let settings: Settings
    /// This process's id in the `owner` field of the workflows it runs.
    public let instanceID: String
    private let client: RedisClient
    private let subscriber: RedisSubscriber
    private let codec: RedisEventCodec
    private let queue: RedisWriteQueue
    /// The last sequence of every workflow this process writes (running here).
    private let sequences = Mutex<[String: UInt64]>([:])
    private let watches = RedisWatchRegistry()

    /// - Parameter onAvailability: called when Redis becomes unreachable (false) or reachable again (true).
    public init(
        client: RedisClient, subscriber: RedisSubscriber, settings: Settings = Settings(),
        logger: Logger = Logger(label: "weft.redis.events"),
        onAvailability: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        precondition(settings.streamMaxLength >= 1 && settings.readPageSize >= 1, "limits must be positive")
        self.settings = settings
        self.client = client
        self.subscriber = subscriber
        instanceID = WorkflowEngine.randomID().replacingOccurrences(of: "wf-", with: "weftd-")
        let (seconds, attoseconds) = settings.retention.components
        codec = RedisEventCodec(
            layout: settings.layout, streamMaxLength: settings.streamMaxLength,
            retentionSeconds: max(1, seconds + (attoseconds > 0 ? 1 : 0)), instance: instanceID,
            leaseMilliseconds: max(1, settings.lease.components.seconds * 1000
                + settings.lease.components.attoseconds / 1_000_000_000_000_000))
        queue = RedisWriteQueue(
            client: client, codec: codec, limit: settings.writeBufferLimit, probeInterval: settings.probeInterval,
            logger: logger, onAvailability: onAvailability)
    }

    /// Runs the writer (and the availability probe) and keeps this process's lease alive until cancelled; then
    /// sends what is queued, once, and drops the lease so that a successor resumes the workflows at once.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.queue.run() }
            group.addTask { await self.renewLease() }
            await group.waitForAll()
        }
        _ = try? await client.command("DEL", RedisArgument(settings.layout.ownerKey(instanceID)))
    }

    private func renewLease() async {
        while !Task.isCancelled {
            _ = try? await client.command(codec.lease())
            try? await Task.sleep(for: settings.lease / 5)
        }
    }

    /// Whether Redis answered the last write or probe.
    public var isAvailable: Bool { queue.isAvailable }

    /// Writes waiting for Redis (non-zero while it is slow or unreachable).
    public var backlog: RedisWriteBacklog { queue.backlog }

    // MARK: - EventLog

    /// Starts a new workflow's numbering; nothing is written until its first event.
    public func create(workflowID: String) throws {
        let created = sequences.withLock { sequences -> Bool in
            guard sequences[workflowID] == nil else { return false }
            sequences[workflowID] = 0
            return true
        }
        guard created else { throw EngineError(.internal, "workflow \"\(workflowID)\" already has an event history") }
    }

    @discardableResult
    public func append(
        workflowID: String, timeUnixMs: UInt64, progress: Progress, payload: WorkflowEvent.Payload,
        checkpoint: WorkflowCheckpoint
    ) async throws -> WorkflowEvent {
        let sequence = try sequences.withLock { sequences throws(EngineError) -> UInt64 in
            guard let last = sequences[workflowID] else {
                throw EngineError(.notFound, "workflow \"\(workflowID)\" is not running in this process")
            }
            sequences[workflowID] = payload.isTerminal ? nil : last + 1
            return last + 1
        }
        let event = WorkflowEvent(
            sequence: sequence, workflowID: workflowID, timeUnixMs: timeUnixMs, progress: progress, payload: payload)
        let write = codec.write(for: event, checkpoint: checkpoint)
        if checkpoint.accepted != nil {
            try await queue.writeNow(write)
        } else {
            await queue.enqueue(write)
        }
        return event
    }

    public func reopen(workflowID: String, lastSequence: UInt64) {
        sequences.withLock { $0[workflowID] = lastSequence }
    }

    public func discard(workflowID: String) {
        _ = sequences.withLock { $0.removeValue(forKey: workflowID) }
    }

    /// The last sequence: this process's own count for a workflow it runs, else the one stored in Redis.
    public func lastSequence(workflowID: String) async -> UInt64? {
        if let local = sequences.withLock({ $0[workflowID] }) { return local }
        let reply = try? await client.command(
            "HGET", RedisArgument(settings.layout.workflowKey(workflowID)),
            RedisArgument(RedisWorkflowLayout.Field.lastSequence))
        return reply?.integer.map { UInt64(max(0, $0)) }
    }

    public func watch(workflowID: String, afterSequence: UInt64) async throws
        -> AsyncThrowingStream<WorkflowEvent, any Error>
    {
        try await RedisEventWatch(
            client: client, subscriber: subscriber, layout: settings.layout, pageSize: settings.readPageSize,
            pollInterval: settings.watchPollInterval, registry: watches
        ).start(workflowID: workflowID, afterSequence: afterSequence)
    }

    /// Ends every open watch (and refuses new ones) with UNAVAILABLE: for a server shutting down, whose running
    /// workflows resume in the next process; watchers watch again there with their last `after_sequence`.
    public func endWatches() {
        watches.endAll(EngineError(
            .unavailable, "the server is shutting down; watch again with after_sequence set to the last event received"))
    }

    // MARK: - WorkflowStore

    /// The active workflows no live process owns (their owner's lease expired), each claimed for this process.

    /// Publishes a cancellation request on ``RedisWorkflowLayout/cancelChannel`` for the process running it.
    public func requestCancel(workflowID: String, reason: String) async throws {
        _ = try await client.command(
            "PUBLISH", RedisArgument(settings.layout.cancelChannel), RedisArgument("\(workflowID)\n\(reason)"))
    }

    /// The cancellation requests published by other processes (lost while the subscriber is disconnected: the
    /// requester then sees the workflow still running and may ask again).
    public func cancelRequests() -> AsyncStream<(workflowID: String, reason: String)> {
        let subscription = subscriber.subscribe(channels: [settings.layout.cancelChannel])
        return AsyncStream { continuation in
            let reader = Task {
                for await message in subscription.messages {
                    let parts = message.text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
                    guard let id = parts.first, !id.isEmpty else { continue }
                    continuation.yield((String(id), parts.count > 1 ? String(parts[1]) : ""))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in
                reader.cancel()
                subscription.cancel()
            }
        }
    }

    /// Stored workflows newest first, for ListWorkflows on any process.
    public func storedWorkflows(after cursor: StoredWorkflowCursor?, limit: Int) async throws
        -> (workflows: [StoredWorkflow], exhausted: Bool)
    {
        try await RedisWorkflowReader(client: client, layout: settings.layout).workflows(after: cursor, limit: limit)
    }

    /// One workflow as stored, for GetWorkflow on a process that does not run it.
    public func storedWorkflow(workflowID: String) async throws -> StoredWorkflow? {
        try await RedisWorkflowReader(client: client, layout: settings.layout).workflow(workflowID)
    }

    public func activeWorkflows(skipping known: @Sendable (String) -> Bool) async throws -> [StoredWorkflow] {
        _ = try? await client.command(codec.lease())
        return try await RedisWorkflowReader(client: client, layout: settings.layout)
            .activeWorkflows(claimFor: instanceID, skipping: known)
    }
}
