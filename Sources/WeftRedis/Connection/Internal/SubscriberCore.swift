import Logging
import Synchronization

/// The state and thread behind ``RedisSubscriber``.
///
/// Subscriptions live under a mutex; the subscriber thread owns the ``RedisConnection`` (a local variable) and
/// reconciles what Redis is subscribed to with what the subscriptions want on every turn of its loop.
final class SubscriberCore: Sendable {
    private struct Entry {
        var channels: Set<String>
        var patterns: Set<String>
        var continuation: AsyncStream<RedisPubSubMessage>.Continuation
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var isConnected = false
        /// Incremented on every successful connection.
        var generation: UInt64 = 0
        var isShutdown = false
        /// Channels and patterns Redis has confirmed on the current connection.
        var confirmedChannels: Set<String> = []
        var confirmedPatterns: Set<String> = []

        var wantedChannels: Set<String> { entries.values.reduce(into: []) { $0.formUnion($1.channels) } }
        var wantedPatterns: Set<String> { entries.values.reduce(into: []) { $0.formUnion($1.patterns) } }
    }

    /// How long one read waits for a message before the loop looks for new (un)subscriptions and shutdown.
    private static let pollInterval: Duration = .milliseconds(20)

    private let configuration: RedisConfiguration
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func start() {
        BlockingThread.start(name: "weft-redis-subscriber") { [self] in
            run()
        }
    }

    // MARK: - Called by subscribers

    var isConnected: Bool { state.withLock { $0.isConnected } }

    func add(channels: Set<String>, patterns: Set<String>) -> RedisSubscription {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RedisPubSubMessage.self,
            bufferingPolicy: .bufferingNewest(RedisSubscriber.bufferLimit)
        )
        let id: UInt64? = state.withLock { state in
            guard !state.isShutdown else { return nil }
            state.nextID += 1
            state.entries[state.nextID] = Entry(channels: channels, patterns: patterns, continuation: continuation)
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return RedisSubscription(channels: channels, patterns: patterns, messages: stream, id: 0, core: self)
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return RedisSubscription(channels: channels, patterns: patterns, messages: stream, id: id, core: self)
    }

    func remove(_ id: UInt64) {
        let entry = state.withLock { $0.entries.removeValue(forKey: id) }
        entry?.continuation.finish()
    }

    func isActive(channels: Set<String>, patterns: Set<String>) -> Bool {
        state.withLock { state in
            state.isConnected && channels.isSubset(of: state.confirmedChannels)
                && patterns.isSubset(of: state.confirmedPatterns)
        }
    }

    /// The connection generation while the channels and patterns are confirmed on it; nil otherwise.
    func activeGeneration(channels: Set<String>, patterns: Set<String>) -> UInt64? {
        state.withLock { state in
            guard state.isConnected, channels.isSubset(of: state.confirmedChannels),
                patterns.isSubset(of: state.confirmedPatterns)
            else { return nil }
            return state.generation
        }
    }

    func shutdown() {
        let entries = state.withLock { state in
            state.isShutdown = true
            defer { state.entries = [:] }
            return Array(state.entries.values)
        }
        for entry in entries { entry.continuation.finish() }
    }

    // MARK: - The subscriber thread

    private var isShutdown: Bool { state.withLock { $0.isShutdown } }

    private func run() {
        var connection: RedisConnection?
        var sentChannels: Set<String> = []
        var sentPatterns: Set<String> = []
        var backoff: Duration?
        while !isShutdown {
            guard let current = connection else {
                do throws(RedisError) {
                    connection = try RedisConnection(configuration: configuration)
                    sentChannels = []
                    sentPatterns = []
                    state.withLock { state in
                        state.isConnected = true
                        state.generation += 1
                    }
                    if backoff != nil {
                        logger.info("subscriber reconnected to Redis", metadata: ["redis": "\(configuration)"])
                    }
                    backoff = nil
                } catch {
                    let wait = configuration.reconnectBackoff.next(after: backoff)
                    if backoff == nil || wait != backoff {
                        logger.warning(
                            "subscriber cannot connect to Redis",
                            metadata: ["redis": "\(configuration)", "error": "\(error.message)", "retry_in": "\(wait)"]
                        )
                    }
                    backoff = wait
                    sleep(for: wait)
                }
                continue
            }
            do throws(RedisError) {
                try reconcile(current, sentChannels: &sentChannels, sentPatterns: &sentPatterns)
                if let reply = try current.nextPushedReply(waitingAtMost: Self.pollInterval) {
                    try handle(reply)
                }
            } catch {
                connection = nil
                state.withLock { state in
                    state.isConnected = false
                    state.confirmedChannels = []
                    state.confirmedPatterns = []
                }
                logger.warning(
                    "subscriber lost its Redis connection; reconnecting",
                    metadata: ["redis": "\(configuration)", "error": "\(error)"]
                )
                backoff = nil
            }
        }
        state.withLock { $0.isConnected = false }
    }

    /// Sends the (un)subscriptions that bring Redis in line with what the subscriptions want.
    private func reconcile(
        _ connection: RedisConnection,
        sentChannels: inout Set<String>,
        sentPatterns: inout Set<String>
    ) throws(RedisError) {
        let (channels, patterns) = state.withLock { state in
            let channels = state.wantedChannels
            let patterns = state.wantedPatterns
            // Stop counting what is being unsubscribed as confirmed right away.
            state.confirmedChannels.formIntersection(channels)
            state.confirmedPatterns.formIntersection(patterns)
            return (channels, patterns)
        }
        guard channels != sentChannels || patterns != sentPatterns else { return }
        var commands: [[RedisArgument]] = []
        // Sorted only so the commands are deterministic in logs and MONITOR output.
        func add(_ command: RedisArgument, _ names: Set<String>) {
            if !names.isEmpty { commands.append([command] + names.sorted().map { RedisArgument($0) }) }
        }
        add("SUBSCRIBE", channels.subtracting(sentChannels))
        add("UNSUBSCRIBE", sentChannels.subtracting(channels))
        add("PSUBSCRIBE", patterns.subtracting(sentPatterns))
        add("PUNSUBSCRIBE", sentPatterns.subtracting(patterns))
        for command in commands { try connection.append(command) }
        try connection.flush()
        sentChannels = channels
        sentPatterns = patterns
    }

    /// Delivers a message or records a (un)subscription confirmation.
    private func handle(_ reply: RedisValue) throws(RedisError) {
        guard let parts = reply.array, let kind = parts.first?.string else {
            if case .error(let message) = reply { throw RedisError(.server, message) }
            throw RedisError(.protocol, "unexpected reply in subscribe mode: \(reply)")
        }
        switch (kind.lowercased(), parts.count) {
        case ("message", 3):
            guard let channel = parts[1].string, let payload = parts[2].bytes else { break }
            deliver(RedisPubSubMessage(channel: channel, payload: payload))
        case ("pmessage", 4):
            guard let pattern = parts[1].string, let channel = parts[2].string, let payload = parts[3].bytes else {
                break
            }
            deliver(RedisPubSubMessage(channel: channel, pattern: pattern, payload: payload))
        case ("subscribe", 3), ("unsubscribe", 3), ("psubscribe", 3), ("punsubscribe", 3):
            guard let name = parts[1].string else { break }
            state.withLock { state in
                switch kind.lowercased() {
                case "subscribe" where state.wantedChannels.contains(name): state.confirmedChannels.insert(name)
                case "psubscribe" where state.wantedPatterns.contains(name): state.confirmedPatterns.insert(name)
                case "unsubscribe": state.confirmedChannels.remove(name)
                case "punsubscribe": state.confirmedPatterns.remove(name)
                default: break
                }
            }
        default:
            logger.debug("ignored a reply in subscribe mode", metadata: ["reply": "\(reply)"])
        }
    }

    private func deliver(_ message: RedisPubSubMessage) {
        let continuations = state.withLock { state in
            state.entries.values.compactMap { entry in
                let matches =
                    message.pattern.map { entry.patterns.contains($0) } ?? entry.channels.contains(message.channel)
                return matches ? entry.continuation : nil
            }
        }
        for continuation in continuations { continuation.yield(message) }
    }

    /// Sleeps on the subscriber thread in short steps, so shutdown is noticed quickly.
    private func sleep(for duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isShutdown, ContinuousClock.now < deadline {
            let step = min(Self.pollInterval, ContinuousClock.now.duration(to: deadline))
            if step > .zero { BlockingThread.sleep(for: step) }
        }
    }
}
