public import Logging
public import WeftEngine
import DequeModule
import Synchronization

/// How activities are written into a queue's stream and read back: the server supplies the protobuf encoding
/// (`weft.v1.ActivityTask`), so that this module needs no message mapping.
public struct ActivityCodec: Sendable {
    public var encode: @Sendable (Activity) -> [UInt8]
    /// Throws when the bytes are not an activity (another program's entry).
    public var decode: @Sendable ([UInt8]) throws -> Activity

    public init(encode: @escaping @Sendable (Activity) -> [UInt8], decode: @escaping @Sendable ([UInt8]) throws -> Activity) {
        self.encode = encode
        self.decode = decode
    }
}

/// Redis mode's ``ActivityBroker``: a stream per queue read through one consumer group, so workers polling any
/// process share the work, and every attempt's state in a hash changed only by atomic scripts
/// (``RedisQueueLayout`` documents the keys).
///
/// - The **owner** (the process running the workflow) adds an entry to the queue's stream and waits on its own
///   pub/sub channel for the worker's start, heartbeats and completion. On a timeout or cancellation it marks the
///   attempt cancelled, so a late completion gets NOT_FOUND and a heartbeat answers `cancel_requested`.
/// - A **poll** on any process waits in a local FIFO; one fetch loop per queue per process reads the stream
///   (`XREADGROUP … BLOCK`) while polls wait, and takes each entry for the longest-waiting poll. Entries a dead
///   process had read but not taken are claimed by the others after ``Settings/abandonedEntryIdle``
///   (`XAUTOCLAIM`). An attempt a dead worker held is re-run by its owner as a new attempt once its heartbeat
///   timeout passes (the token of the dead attempt turns stale).
/// - Heartbeats and completions are accepted by any process (the token names the attempt's hash).
///
/// Pub/sub loses messages while a connection is down, so after each reconnection of the subscriber the owner
/// re-reads the state of every attempt it waits for.
public final class RedisActivityBroker: ActivityBroker {
    /// Settings of the Redis side.
    public struct Settings: Sendable, Hashable {
        /// The keys' layout. Default prefix `weft`.
        public var layout = RedisQueueLayout()
        /// How long one blocking stream read waits before a fetch loop looks again. Default 1 s (it must stay
        /// below the client's command timeout).
        public var fetchBlock: Duration = .seconds(1)
        /// How long an entry may sit read but not taken by a process before another claims it. Default 30 s.
        public var abandonedEntryIdle: Duration = .seconds(30)
        /// How long an attempt's hash lives while it waits for a worker with no schedule-to-start timeout. Default
        /// 7 days.
        public var queuedRetention: Duration = .seconds(7 * 24 * 3600)

        public init() {}
    }

    public let config: ActivityBrokerConfig
    public let settings: Settings
    /// This process's id as an owner and as the consumer of the queues' group.
    public let ownerID: String
    private let client: RedisClient
    /// Serves the blocking stream reads, so that they never hold a connection other commands need.
    private let fetchClient: RedisClient
    private let subscriber: RedisSubscriber
    private let codec: ActivityCodec
    private let clock: EngineClock
    private let observer: (any ActivityBrokerObserver)?
    private let logger: Logger
    private let state = Mutex(State())
    private let fetchRequests: AsyncStream<String>
    private let fetchInput: AsyncStream<String>.Continuation

    /// - Parameters:
    ///   - client: Runs the scripts and commands.
    ///   - fetchClient: Runs the blocking reads: give it a pool of its own, one connection per queue polled at once.
    ///   - subscriber: The process's pub/sub connection (the owner channel is subscribed on it).
    public init(
        config: ActivityBrokerConfig = .defaults, settings: Settings = Settings(), client: RedisClient,
        fetchClient: RedisClient, subscriber: RedisSubscriber, codec: ActivityCodec, clock: EngineClock,
        observer: (any ActivityBrokerObserver)? = nil, ownerID: String = RedisActivityBroker.randomOwnerID(),
        logger: Logger = Logger(label: "weft.redis.queue")
    ) {
        self.config = config
        self.settings = settings
        self.client = client
        self.fetchClient = fetchClient
        self.subscriber = subscriber
        self.codec = codec
        self.clock = clock
        self.observer = observer
        self.ownerID = ownerID
        self.logger = logger
        (fetchRequests, fetchInput) = AsyncStream<String>.makeStream()
    }

    /// This process's attempts not yet taken by a worker.
    public var pendingActivities: Int {
        state.withLock { state in state.ownedCounts.values.reduce(0) { $0 + $1.pending } }
    }

    /// A random owner id: 16 lower-case hex digits.
    public static func randomOwnerID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in hex(UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    // MARK: Running

    /// Hears the owner channel and runs the fetch loops until cancelled, then ends every waiting poll
    /// (``shutdown()``). Start it before the server takes RPCs: an attempt's start, heartbeats and completion are
    /// heard only while it runs.
    public func run() async {
        let subscription = subscriber.subscribe(channels: [settings.layout.ownerChannel(ownerID)])
        defer {
            subscription.cancel()
            fetchInput.finish()
            shutdown()
        }
        _ = await subscription.waitUntilActive(timeout: .seconds(2))
        // Each child ends when run() is cancelled: the streams' iterations return nil, the loops check cancellation.
        await withDiscardingTaskGroup { group in
            group.addTask {
                await withDiscardingTaskGroup { messages in
                    for await message in subscription.messages {
                        self.handle(message.payload, group: &messages)
                    }
                }
            }
            group.addTask { await self.watchReconnections(subscription) }
            group.addTask {
                await withDiscardingTaskGroup { fetchers in
                    for await queue in self.fetchRequests {
                        fetchers.addTask { await self.fetchLoop(queue: queue) }
                    }
                }
            }
        }
    }

    // MARK: Owner side

    public func execute(_ activity: Activity, queue: String, heartbeat: HeartbeatRecorder) async throws
        -> ActivityOutput
    {
        if let problem = config.problem(withQueueName: queue) {
            throw ActivityFailure(problem, type: "InvalidQueue", retryable: false)
        }
        let token = TaskToken.fresh(workflowID: activity.workflowID, taskID: activity.task.id, attempt: activity.attempt)
        let hex = Self.hex(token.bytes)
        state.withLock { state in
            state.owned[hex] = OwnedAttempt(queue: queue, heartbeat: heartbeat)
            state.ownedCounts[queue, default: OwnedCounts()].pending += 1
            report(queue, state)
        }
        defer {
            state.withLock { state in
                if let gone = state.owned.removeValue(forKey: hex) { state.forget(gone) }
                report(queue, state)
            }
        }
        let limit = activity.task.timeouts.scheduleToStart ?? config.scheduleToStartTimeout
        do {
            try await enqueue(activity, token: token, hex: hex, queue: queue, limit: limit)
            guard let limit else { return try await waitForOutcome(hex) }
            let clock = clock
            return try await withThrowingTaskGroup(of: ActivityOutput?.self) { group in
                group.addTask { try await self.waitForOutcome(hex) }
                group.addTask {
                    try? await clock.sleep(for: limit)
                    if !Task.isCancelled { await self.expire(hex, queue: queue, after: limit) }
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let output = next { return output }
                }
                throw CancellationError()
            }
        } catch is CancellationError {
            // A timeout or a cancelled workflow: the token turns stale, heartbeats answer cancel_requested.
            _ = try? await cancel(hex, queue: queue, onlyIfQueued: false)
            throw CancellationError()
        }
    }

    private func enqueue(_ activity: Activity, token: TaskToken, hex: String, queue: String, limit: Duration?) async throws {
        let ttl = limit.map { $0 + activity.startToCloseTimeout + config.cancelledTokenRetention } ?? settings.queuedRetention
        let command: [RedisArgument] = [
            "EVAL", RedisArgument(RedisQueueScripts.enqueue), 2, RedisArgument(settings.layout.attemptKey(hex)),
            RedisArgument(settings.layout.queueKey(queue)), RedisArgument(ownerID), RedisArgument(queue),
            RedisArgument(token.bytes), RedisArgument(codec.encode(activity)), RedisArgument(config.maxPendingPerQueue),
            RedisArgument(ttl.positiveMilliseconds), RedisArgument(RedisQueueLayout.group),
        ]
        // While Redis is unreachable the attempt waits to be queued (it has not started: no timeout runs) rather
        // than fail; the script is idempotent, so a retry after a lost reply queues it once.
        var backoff = Duration.milliseconds(100)
        var reported = false
        let reply: RedisValue
        while true {
            do {
                reply = try await client.command(command)
                break
            } catch {
                if error.kind == .server, error.message.hasPrefix("QUEUEFULL") {
                    let length = error.message.split(separator: " ").last.map(String.init) ?? "?"
                    throw ActivityFailure(
                        "queue \(queue.debugDescription) holds \(length) pending activities, the limit "
                            + "(WEFT_MAX_QUEUE_PENDING)", type: "QueueFull")
                }
                guard error.kind == .connection || error.kind == .timeout else {
                    throw ActivityFailure("the activity could not be queued: \(error)", type: "RedisUnavailable")
                }
                if !reported {
                    logger.warning("queue \(queue.debugDescription): Redis is unreachable, activities wait to be queued: \(error)")
                    reported = true
                }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
        guard reply.string != nil else {
            throw ActivityFailure("the activity could not be queued: unexpected reply \(reply)", type: "RedisUnavailable")
        }
    }

    /// Waits for the outcome the owner channel brings (or brought already).
    private func waitForOutcome(_ hex: String) async throws -> ActivityOutput {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ActivityOutput, any Error>) in
                let ready = state.withLock { state -> Result<ActivityOutput, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    guard var owned = state.owned[hex] else { return .failure(CancellationError()) }
                    if let outcome = owned.outcome { return outcome }
                    owned.continuation = continuation
                    state.owned[hex] = owned
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                let continuation = state.owned[hex]?.continuation
                state.owned[hex]?.continuation = nil
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Delivers an attempt's outcome to its waiting `execute`, or keeps it for the wait about to begin.
    private func deliver(_ hex: String, _ outcome: Result<ActivityOutput, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<ActivityOutput, any Error>? in
            guard var owned = state.owned[hex], owned.outcome == nil else { return nil }
            owned.outcome = outcome
            let continuation = owned.continuation
            owned.continuation = nil
            state.owned[hex] = owned
            return continuation
        }
        continuation?.resume(with: outcome)
    }

    /// Fails the attempt with `ScheduleToStartTimeout` if it still waits for a worker.
    private func expire(_ hex: String, queue: String, after limit: Duration) async {
        guard (try? await cancel(hex, queue: queue, onlyIfQueued: true)) == true else { return }
        deliver(hex, .failure(ActivityFailure(
            "no worker took the task from queue \(queue.debugDescription) within \(limit.shortDescription) "
                + "(schedule-to-start timeout)", type: "ScheduleToStartTimeout", retryable: false)))
    }

    /// Marks the attempt cancelled (only while queued, if asked); returns whether it changed.
    private func cancel(_ hex: String, queue: String, onlyIfQueued: Bool) async throws -> Bool {
        let reply = try await client.command([
            "EVAL", RedisArgument(RedisQueueScripts.cancel), 2, RedisArgument(settings.layout.attemptKey(hex)),
            RedisArgument(settings.layout.queueKey(queue)), RedisArgument(config.cancelledTokenRetention.positiveMilliseconds),
            RedisArgument(RedisQueueLayout.group), onlyIfQueued ? "1" : "0",
        ])
        return reply.integer == 1
    }

    /// One message of the owner channel: `s HEX` (taken), `h HEX DETAILS` (heartbeat), `d HEX` (done).
    private func handle(_ payload: [UInt8], group: inout DiscardingTaskGroup) {
        guard payload.count > 2, payload[1] == UInt8(ascii: " ") else { return }
        let rest = payload[2...]
        let hexEnd = rest.firstIndex(of: UInt8(ascii: " ")) ?? rest.endIndex
        let hex = String(decoding: rest[rest.startIndex..<hexEnd], as: UTF8.self)
        switch payload[0] {
        case UInt8(ascii: "s"):
            started(hex)
        case UInt8(ascii: "h"):
            let details = hexEnd < rest.endIndex ? String(decoding: rest[(hexEnd + 1)...], as: UTF8.self) : ""
            let recorder = state.withLock { $0.owned[hex]?.heartbeat }
            recorder?(details)
        case UInt8(ascii: "d"):
            group.addTask { await self.collect(hex) }
        default:
            logger.debug("ignored a message of unknown kind on the owner channel")
        }
    }

    /// A worker took the attempt: its clocks start.
    private func started(_ hex: String) {
        let recorder = state.withLock { state -> HeartbeatRecorder? in
            guard var owned = state.owned[hex], !owned.started else { return nil }
            owned.started = true
            state.owned[hex] = owned
            state.ownedCounts[owned.queue, default: OwnedCounts()].pending -= 1
            state.ownedCounts[owned.queue, default: OwnedCounts()].running += 1
            report(owned.queue, state)
            return owned.heartbeat
        }
        recorder?.markStarted()
    }

    /// Reads a finished attempt's outcome from its hash and delivers it.
    private func collect(_ hex: String) async {
        guard state.withLock({ $0.owned[hex] != nil }) else { return }
        do {
            let reply = try await client.command(
                "HMGET", RedisArgument(settings.layout.attemptKey(hex)), "state", "outcome", "body", "failure_type",
                "retryable")
            guard let fields = reply.array, fields.count == 5 else { return }
            switch fields[0].string {
            case "done":
                started(hex)
                let body = fields[2].string ?? ""
                if fields[1].string == "result" {
                    deliver(hex, .success(ActivityOutput(output: body)))
                } else {
                    let type = fields[3].string ?? ""
                    deliver(hex, .failure(ActivityFailure(
                        body, type: type.isEmpty ? "ActivityError" : type, retryable: fields[4].string != "0")))
                }
            case "running":
                started(hex)
            default:
                break
            }
        } catch {
            // The attempt's heartbeat timeout ends the wait if Redis stays away.
            logger.warning("could not read an attempt's outcome: \(error)")
        }
    }

    /// After every reconnection of the subscriber (messages published meanwhile are lost), re-reads every attempt
    /// this process waits for.
    private func watchReconnections(_ subscription: RedisSubscription) async {
        var seen = subscription.activeGeneration
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            guard let generation = subscription.activeGeneration, generation != seen else { continue }
            let first = seen == nil
            seen = generation
            if first { continue }
            let owned = state.withLock { Array($0.owned.keys) }
            for hex in owned { await collect(hex) }
        }
    }

    // MARK: Worker side

    public func shutdown() {
        let polls = state.withLock { state -> [CheckedContinuation<TakenEntry?, Never>] in
            state.closed = true
            var polls: [CheckedContinuation<TakenEntry?, Never>] = []
            for queue in state.lanes.keys.sorted() {
                polls += state.lanes[queue]?.waiters.map(\.continuation) ?? []
                state.lanes[queue]?.waiters.removeAll()
                report(queue, state)
            }
            return polls
        }
        for poll in polls { poll.resume(returning: nil) }
    }

    public func poll(queue: String, workerID: String, identity: String, wait: Duration) async throws -> PolledActivity? {
        if let problem = config.problem(withQueueName: queue) { throw EngineError(.invalidArgument, "queue: \(problem)") }
        if state.withLock({ $0.closed }) {
            throw EngineError(.unavailable, "the server is shutting down: poll another server")
        }
        let opens = state.withLock { $0.lanes[queue] == nil && $0.lanes.count >= config.maxQueues }
        if opens {
            throw EngineError(
                .resourceExhausted, config.tooManyQueues(queue))
        }
        let id = state.withLock { state in
            state.nextPollerID += 1
            return state.nextPollerID
        }
        let clock = clock
        let taken = await Self.waiting(wait, clock: clock) {
            await self.waitForEntry(queue: queue, pollerID: id, workerID: workerID)
        }
        guard let taken else { return nil }
        if Task.isCancelled {
            await requeue(taken, entryID: "", requiredState: "running")
            return nil
        }
        return taken.polled
    }

    /// Waits in the queue's FIFO for an entry the fetch loop takes for this poll; nil when cancelled first.
    private func waitForEntry(queue: String, pollerID: UInt64, workerID: String) async -> TakenEntry? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TakenEntry?, Never>) in
                let startFetcher = state.withLock { state -> Bool? in
                    if Task.isCancelled || state.closed { return nil }
                    var lane = state.lanes[queue] ?? Lane()
                    lane.waiters.append(Waiter(id: pollerID, workerID: workerID, continuation: continuation))
                    let start = !lane.fetching
                    lane.fetching = true
                    state.lanes[queue] = lane
                    report(queue, state)
                    return start
                }
                switch startFetcher {
                case nil: continuation.resume(returning: nil)
                case true?: fetchInput.yield(queue)
                case false?: break
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<TakenEntry?, Never>? in
                guard let index = state.lanes[queue]?.waiters.firstIndex(where: { $0.id == pollerID }) else { return nil }
                let waiter = state.lanes[queue]?.waiters.remove(at: index)
                report(queue, state)
                return waiter?.continuation
            }
            continuation?.resume(returning: nil)
        }
    }

    /// Reads the queue's stream while polls wait for it, taking each entry for the longest-waiting poll.
    private func fetchLoop(queue: String) async {
        let key = settings.layout.queueKey(queue)
        var lastReclaim = ContinuousClock.now
        var groupReady = false
        /// Whether the last read failed: an outage is logged once, not on every retry.
        var failing = false
        while !Task.isCancelled {
            let wanted = state.withLock { state -> Int in
                let waiting = state.lanes[queue]?.waiters.count ?? 0
                if waiting == 0 || state.closed {
                    // Stopping is decided under the lock, so a poll arriving now starts a new loop.
                    state.lanes[queue]?.fetching = false
                    if state.lanes[queue]?.waiters.isEmpty == true { state.lanes[queue] = nil }
                    report(queue, state)
                }
                return state.closed ? 0 : waiting
            }
            if wanted == 0 { return }
            do {
                if !groupReady {
                    _ = try? await fetchClient.command(
                        "XGROUP", "CREATE", RedisArgument(key), RedisArgument(RedisQueueLayout.group), "0", "MKSTREAM")
                    groupReady = true
                }
                var entries: [StreamEntry] = []
                if ContinuousClock.now - lastReclaim > settings.abandonedEntryIdle / 2 {
                    lastReclaim = .now
                    let reply = try await fetchClient.command(
                        "XAUTOCLAIM", RedisArgument(key), RedisArgument(RedisQueueLayout.group), RedisArgument(ownerID),
                        RedisArgument(settings.abandonedEntryIdle.positiveMilliseconds), "0-0", "COUNT", RedisArgument(wanted))
                    entries = StreamEntry.parse(autoclaim: reply)
                }
                if entries.isEmpty {
                    let reply = try await fetchClient.command(
                        "XREADGROUP", "GROUP", RedisArgument(RedisQueueLayout.group), RedisArgument(ownerID), "COUNT",
                        RedisArgument(wanted), "BLOCK", RedisArgument(settings.fetchBlock.positiveMilliseconds), "STREAMS",
                        RedisArgument(key), ">")
                    entries = StreamEntry.parse(readGroup: reply)
                }
                if failing {
                    logger.info("reading queue \(queue.debugDescription) works again")
                    failing = false
                }
                for entry in entries { await take(entry, queue: queue) }
            } catch {
                if error.kind == .server, error.message.hasPrefix("NOGROUP") {
                    groupReady = false
                    continue
                }
                if !failing {
                    logger.warning("reading queue \(queue.debugDescription) failed (retrying every 200 ms): \(error)")
                    failing = true
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        state.withLock { state in
            state.lanes[queue]?.fetching = false
        }
    }

    /// Takes one entry for the longest-waiting poll, or puts it back when none waits any more.
    private func take(_ entry: StreamEntry, queue: String) async {
        let key = settings.layout.queueKey(queue)
        let activity: Activity
        let token: TaskToken
        do {
            token = try TaskToken(bytes: entry.token)
            activity = try codec.decode(entry.activity)
        } catch {
            logger.warning("dropped an unreadable entry \(entry.id) of queue \(queue.debugDescription): \(error)")
            _ = try? await client.pipeline([
                ["XACK", RedisArgument(key), RedisArgument(RedisQueueLayout.group), RedisArgument(entry.id)],
                ["XDEL", RedisArgument(key), RedisArgument(entry.id)],
            ])
            return
        }
        let taken = TakenEntry(
            polled: PolledActivity(token: token, activity: activity, deadlineUnixMs: 0), queue: queue,
            tokenBytes: entry.token, activityBytes: entry.activity)
        guard let waiter = popWaiter(queue) else {
            await requeue(taken, entryID: entry.id, requiredState: "queued")
            return
        }
        let hex = Self.hex(entry.token)
        let ttl = activity.startToCloseTimeout + config.cancelledTokenRetention
        do {
            let reply = try await client.command([
                "EVAL", RedisArgument(RedisQueueScripts.claim), 2, RedisArgument(settings.layout.attemptKey(hex)),
                RedisArgument(key), RedisArgument(entry.id), RedisArgument(RedisQueueLayout.group),
                RedisArgument(waiter.workerID), RedisArgument(hex), RedisArgument(settings.layout.ownerChannelPrefix),
                RedisArgument(ttl.positiveMilliseconds),
            ])
            guard reply.integer == 1 else {
                // Stale (its owner gave it up): dropped from the stream; the poll waits on.
                putBack(waiter, queue: queue)
                return
            }
        } catch {
            logger.warning("taking entry \(entry.id) of queue \(queue.debugDescription) failed: \(error)")
            putBack(waiter, queue: queue)
            return
        }
        var polled = taken
        polled.polled.deadlineUnixMs = clock.unixMilliseconds() &+ UInt64(clamping: activity.startToCloseTimeout.positiveMilliseconds)
        waiter.continuation.resume(returning: polled)
    }

    private func popWaiter(_ queue: String) -> Waiter? {
        state.withLock { state in
            defer { report(queue, state) }
            return state.lanes[queue]?.waiters.popFirst()
        }
    }

    private func putBack(_ waiter: Waiter, queue: String) {
        state.withLock { state in
            state.lanes[queue, default: Lane()].waiters.prepend(waiter)
            report(queue, state)
        }
    }

    /// Puts an entry back at the end of its queue.
    private func requeue(_ taken: TakenEntry, entryID: String, requiredState: String) async {
        let hex = Self.hex(taken.tokenBytes)
        do {
            _ = try await client.command([
                "EVAL", RedisArgument(RedisQueueScripts.requeue), 2, RedisArgument(settings.layout.attemptKey(hex)),
                RedisArgument(settings.layout.queueKey(taken.queue)), RedisArgument(entryID),
                RedisArgument(RedisQueueLayout.group), RedisArgument(taken.tokenBytes),
                RedisArgument(taken.activityBytes), RedisArgument(requiredState),
            ])
        } catch {
            // Left in this process's pending entries: another process claims it after the idle time.
            logger.warning("putting back \(taken.polled.token) failed: \(error)")
        }
    }

    public func recordHeartbeat(token: TaskToken, details: String) async throws -> Bool {
        try config.checkHeartbeatDetails(details)
        let hex = Self.hex(token.bytes)
        let reply = try await run([
            "EVAL", RedisArgument(RedisQueueScripts.heartbeat), 1, RedisArgument(settings.layout.attemptKey(hex)),
            RedisArgument(details), RedisArgument(hex), RedisArgument(settings.layout.ownerChannelPrefix),
        ])
        switch reply.integer {
        case 0: return false
        case 1: return true
        default: throw Self.stale(token)
        }
    }

    public func complete(token: TaskToken, outcome: ActivityCompletion) async throws {
        let hex = Self.hex(token.bytes)
        let fields: [RedisArgument]
        switch outcome {
        case .result(let output): fields = ["result", RedisArgument(output), "", "0"]
        case .failure(let failure):
            fields = ["failure", RedisArgument(failure.message), RedisArgument(failure.type), failure.retryable ? "1" : "0"]
        }
        let reply = try await run(
            ["EVAL", RedisArgument(RedisQueueScripts.complete), 1, RedisArgument(settings.layout.attemptKey(hex))]
                + fields + [
                    RedisArgument(hex), RedisArgument(settings.layout.ownerChannelPrefix),
                    RedisArgument(config.cancelledTokenRetention.positiveMilliseconds),
                ])
        switch reply.integer {
        case 0: return
        case 1: throw EngineError(.notFound, "\(token) was cancelled or timed out: its outcome is discarded")
        default: throw Self.stale(token)
        }
    }

    /// Runs a worker-side command; Redis being away is UNAVAILABLE (the worker retries).
    private func run(_ command: [RedisArgument]) async throws -> RedisValue {
        do {
            return try await client.command(command)
        } catch {
            throw EngineError(.unavailable, "Redis is unavailable: \(error)")
        }
    }

    private static func stale(_ token: TaskToken) -> EngineError {
        EngineError(
            .notFound,
            "\(token) is not running: the token is stale (the attempt completed, timed out or was cancelled) or unknown")
    }

    // MARK: State

    /// Reports a queue's counts as this process sees them: its own attempts waiting and running, its waiting polls.
    private func report(_ queue: String, _ state: State) {
        guard let observer else { return }
        let counts = state.ownedCounts[queue] ?? OwnedCounts()
        observer.queueChanged(QueueStats(
            queue: queue, pending: counts.pending, waitingPollers: state.lanes[queue]?.waiters.count ?? 0,
            running: counts.running))
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map(hex).joined() }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}

/// An attempt this process owns and waits for.
private struct OwnedAttempt: Sendable {
    var queue: String
    var heartbeat: HeartbeatRecorder
    var started = false
    var continuation: CheckedContinuation<ActivityOutput, any Error>?
    var outcome: Result<ActivityOutput, any Error>?
}

private struct OwnedCounts: Sendable {
    var pending = 0
    var running = 0
}

/// The polls of one queue waiting on this process, and whether its fetch loop runs.
private struct Lane: Sendable {
    var waiters: Deque<Waiter> = []
    var fetching = false
}

private struct Waiter: Sendable {
    let id: UInt64
    let workerID: String
    let continuation: CheckedContinuation<TakenEntry?, Never>
}

/// An entry taken for a poll, with the bytes needed to put it back.
private struct TakenEntry: Sendable {
    var polled: PolledActivity
    var queue: String
    var tokenBytes: [UInt8]
    var activityBytes: [UInt8]
}

private struct State: Sendable {
    var owned: [String: OwnedAttempt] = [:]
    var ownedCounts: [String: OwnedCounts] = [:]
    var lanes: [String: Lane] = [:]
    var nextPollerID: UInt64 = 0
    /// Set by ``RedisActivityBroker/shutdown()``: polls end empty and new ones are refused.
    var closed = false

    /// Drops a finished attempt from its queue's counts.
    mutating func forget(_ owned: OwnedAttempt) {
        var counts = ownedCounts[owned.queue] ?? OwnedCounts()
        if owned.started { counts.running -= 1 } else { counts.pending -= 1 }
        ownedCounts[owned.queue] = counts.pending == 0 && counts.running == 0 ? nil : counts
    }
}

/// One entry of a queue's stream.
struct StreamEntry: Sendable {
    var id: String
    var token: [UInt8]
    var activity: [UInt8]

    /// The entries of an `XREADGROUP` reply for one stream (nil reply: none came in time).
    static func parse(readGroup reply: RedisValue) -> [StreamEntry] {
        guard let streams = reply.array, let stream = streams.first?.array, stream.count == 2,
            let entries = stream[1].array
        else { return [] }
        return entries.compactMap(entry)
    }

    /// The entries of an `XAUTOCLAIM` reply (next id, entries, deleted ids).
    static func parse(autoclaim reply: RedisValue) -> [StreamEntry] {
        guard let parts = reply.array, parts.count >= 2, let entries = parts[1].array else { return [] }
        return entries.compactMap(entry)
    }

    private static func entry(_ value: RedisValue) -> StreamEntry? {
        guard let pair = value.array, pair.count == 2, let id = pair[0].string, let fields = pair[1].array else {
            return nil
        }
        var token: [UInt8]?
        var activity: [UInt8]?
        var index = 0
        while index + 1 < fields.count {
            switch fields[index].string {
            case "token": token = fields[index + 1].bytes
            case "activity": activity = fields[index + 1].bytes
            default: break
            }
            index += 2
        }
        guard let token, let activity else { return nil }
        return StreamEntry(id: id, token: token, activity: activity)
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 (Redis refuses a zero expiry or block time of 0 means forever).
    fileprivate var positiveMilliseconds: Int64 { max(1, milliseconds) }

    /// As messages give it: `30 s` or `250 ms`.
    fileprivate var shortDescription: String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
