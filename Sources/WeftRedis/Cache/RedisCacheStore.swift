public import Logging
import Synchronization
public import WeftCache

/// The cache store of a weftd that has `REDIS_URL`: entries in Redis, shared by every process and surviving
/// restarts; vectors in an in-process ``VectorIndex`` kept in step with Redis.
///
/// Layout (``RedisCacheLayout``, `docs/redis.md`): each entry is a hash `weft:cache:entry:{id}` and an exact key
/// `weft:cache:key:{namespace_id}:{text_hash}` → id, both with a Redis TTL equal to the cache TTL
/// (`expiresAt − createdAt`), written in one `MULTI`/`EXEC`; each insert is announced on `weft:cache:inserts`.
///
/// The index: ``run()`` subscribes to the inserts channel, loads every entry with `SCAN` (never `KEYS`), then
/// applies other processes' inserts as they are announced; after the subscriber reconnects (messages may have been
/// lost) it loads again. Lookups search the index, then read the winning entry from Redis: an entry whose key is
/// gone (expired or evicted) is a miss and leaves the index, and the search goes on with the next best.
///
/// Redis trouble never fails a workflow and never blocks for long: every command is bounded by the client's command
/// timeout (and fails at once while the client waits to reconnect). Lookups then throw ``CacheError`` `.unavailable`,
/// which ``SemanticCache`` turns into a miss; inserts throw it too after logging a warning, and the entry is
/// dropped (counted in ``statistics``).
public final class RedisCacheStore: CacheStore {
    /// Settings of the store.
    public struct Configuration: Sendable, Hashable {
        /// Key names. Default prefix `weft:cache`.
        public var layout: RedisCacheLayout
        /// The `COUNT` hint of each `SCAN` while loading. Default 500.
        public var scanCount: Int
        /// Expired vectors are swept from the index at most this often (on insert). Default 60 s.
        public var sweepInterval: Duration

        /// Creates a configuration.
        public init(layout: RedisCacheLayout = .init(), scanCount: Int = 500, sweepInterval: Duration = .seconds(60)) {
            self.layout = layout
            self.scanCount = scanCount
            self.sweepInterval = sweepInterval
        }
    }

    /// What the store has done, for metrics and tests.
    public struct Statistics: Sendable, Hashable {
        /// Entries read by `SCAN` loads.
        public var loadedEntries = 0
        /// Other processes' inserts applied from the inserts channel.
        public var remoteInserts = 0
        /// Index hits whose Redis key was gone (or expired), dropped from the index.
        public var staleEntriesDropped = 0
        /// Inserts lost to Redis errors.
        public var droppedInserts = 0
        /// Reads (lookups, loads, applying an announced insert) that failed on Redis errors.
        public var failedReads = 0
        /// Completed `SCAN` loads.
        public var loads = 0
    }

    struct Known {
        var namespaceID: String
        var expiresAt: Int64
    }

    struct State {
        /// The entries in the index: id → namespace and expiry.
        var known: [String: Known] = [:]
        var nextSweep: Int64 = .min
        var statistics = Statistics()
        /// During a load: ids remembered meanwhile (never pruned by that load).
        var touchedDuringLoad: Set<String>?
        /// The subscription of ``run()`` and the connection generation the index was last loaded on.
        var subscription: RedisSubscription?
        var loadedGeneration: UInt64?
    }

    /// The in-process vector index (exposed for memory and size reporting).
    public let index: VectorIndex
    /// The store's settings.
    public let configuration: Configuration
    let client: RedisClient
    let subscriber: RedisSubscriber
    let logger: Logger
    /// Tags this process's announcements, so ``run()`` ignores its own inserts.
    let instanceID: String
    let state = Mutex(State())

    /// A store on `client` for `dimensions`-long embeddings; `subscriber` follows other processes' inserts once
    /// ``run()`` runs. Nothing is read from Redis until then (or until ``load()``).
    public init(
        client: RedisClient,
        subscriber: RedisSubscriber,
        dimensions: Int,
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "weft.cache.redis")
    ) {
        self.client = client
        self.subscriber = subscriber
        self.index = VectorIndex(dimensions: dimensions)
        self.configuration = configuration
        self.logger = logger
        self.instanceID = String(UInt64.random(in: .min ... .max), radix: 16)
    }

    /// What the store has done so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// True while ``run()`` is subscribed to the inserts channel and the index was loaded on the current
    /// subscriber connection: from then on, every insert by another process reaches the index.
    public var isSynchronized: Bool {
        state.withLock { state in
            guard let generation = state.subscription?.activeGeneration else { return false }
            return generation == state.loadedGeneration
        }
    }

    // MARK: - CacheStore

    /// Writes `entry` to Redis (replacing an entry with the same id), announces it, and adds it to the index.
    ///
    /// An entry already expired (`expiresAt <= createdAt`) is not stored.
    /// - Throws: ``CacheError`` `.invalidEntry` for an embedding of the wrong length; `.unavailable` when Redis
    ///   failed (a warning is logged and the entry is dropped).
    public func insert(_ entry: CacheEntry) async throws {
        guard entry.embedding.count == index.dimensions else {
            throw CacheError(
                .invalidEntry,
                "embedding has \(entry.embedding.count) dimensions, the store \(index.dimensions)"
            )
        }
        let ttl = entry.expiresAt - entry.createdAt
        guard ttl > 0 else { return }
        let layout = configuration.layout
        let entryKey = RedisArgument(layout.entryKey(id: entry.id))
        let commands: [[RedisArgument]] = [
            ["MULTI"],
            ["DEL", entryKey],
            ["HSET", entryKey] + CacheEntryCodec.fields(of: entry),
            ["PEXPIRE", entryKey, RedisArgument(ttl)],
            [
                "SET", RedisArgument(layout.exactKey(namespaceID: entry.namespace.id, textHash: entry.textHash)),
                RedisArgument(entry.id), "PX", RedisArgument(ttl),
            ],
            ["EXEC"],
            ["PUBLISH", RedisArgument(layout.insertsChannel), RedisArgument("\(entry.id) \(instanceID)")],
        ]
        do {
            let replies = try await client.pipeline(commands)
            if let failure = Self.transactionFailure(replies) { throw RedisError(.server, failure) }
        } catch {
            state.withLock { $0.statistics.droppedInserts += 1 }
            logger.warning(
                "Redis cache insert dropped",
                metadata: ["entry": "\(entry.id)", "source": "\(entry.source)", "error": "\(error)"]
            )
            throw CacheError(.unavailable, "Redis insert of \(entry.id) failed", cause: error)
        }
        remember(entry)
        sweepIfDue(now: entry.createdAt)
    }

    /// The live entry `id`, read from Redis (and added to the index if this process had missed it).
    /// - Throws: ``CacheError`` `.unavailable` when Redis failed.
    public func entry(id: String, now: Int64) async throws -> CacheEntry? {
        let reply = try await read(["HGETALL", RedisArgument(configuration.layout.entryKey(id: id))])
        guard let entry = CacheEntryCodec.entry(id: id, from: reply), entry.isLive(at: now) else {
            if let known = state.withLock({ $0.known[id] }) { forget(id: id, namespaceID: known.namespaceID) }
            return nil
        }
        if state.withLock({ $0.known[id] == nil }), entry.embedding.count == index.dimensions { remember(entry) }
        return entry
    }

    /// The live entry of `namespace` nearest to `embedding`: the index's best row, confirmed in Redis. Rows whose
    /// key is gone are dropped and the next best is tried (at most 16 in one lookup, then it is a miss).
    /// - Throws: ``CacheError`` `.invalidEntry` for a query of the wrong length; `.unavailable` when Redis failed.
    public func nearest(
        to embedding: [Float],
        in namespace: CacheNamespace,
        now: Int64
    ) async throws
        -> CacheCandidate?
    {
        guard embedding.count == index.dimensions else {
            throw CacheError(.invalidEntry, "query has \(embedding.count) dimensions, the store \(index.dimensions)")
        }
        for _ in 0..<16 {
            guard let match = index.search(embedding, namespace: namespace.id, k: 1, now: now).first else {
                return nil
            }
            let reply = try await read(["HGETALL", RedisArgument(configuration.layout.entryKey(id: match.id))])
            if let entry = CacheEntryCodec.entry(id: match.id, from: reply), entry.isLive(at: now),
                entry.namespace.id == namespace.id
            {
                return CacheCandidate(entry: entry, similarity: match.similarity)
            }
            // Expired or evicted in Redis (or replaced under another namespace): a miss for this row.
            forget(id: match.id, namespaceID: namespace.id)
            state.withLock { $0.statistics.staleEntriesDropped += 1 }
            logger.debug("dropped a cache index row whose Redis entry is gone", metadata: ["entry": "\(match.id)"])
        }
        return nil
    }

    /// Deletes entry `id` and its exact key from Redis and the index; returns whether Redis had it.
    ///
    /// Other processes are not told: their index rows for it are dropped when a lookup next finds them.
    /// - Throws: ``CacheError`` `.unavailable` when Redis failed.
    @discardableResult
    public func remove(id: String) async throws -> Bool {
        let layout = configuration.layout
        let entryKey = RedisArgument(layout.entryKey(id: id))
        let fields = try await read(["HMGET", entryKey, "namespace_id", "text_hash"]).array ?? []
        var delete: [RedisArgument] = ["DEL", entryKey]
        if fields.count == 2, let namespaceID = fields[0].string, let textHash = fields[1].string {
            delete.append(RedisArgument(layout.exactKey(namespaceID: namespaceID, textHash: textHash)))
        }
        let deleted = try await read(delete).integer ?? 0
        if let known = state.withLock({ $0.known[id] }) { forget(id: id, namespaceID: known.namespaceID) }
        return deleted > 0
    }

    /// The number of live entries in this process's index (Redis may hold entries not yet announced here).
    public func count(now: Int64) async throws -> Int {
        state.withLock { $0.known.values.reduce(0) { $0 + ($1.expiresAt > now ? 1 : 0) } }
    }

    /// Every live entry in Redis, read with `SCAN` (for inspection and tests; not for the lookup path).
    /// - Throws: ``CacheError`` `.unavailable` when Redis failed.
    public func entries(now: Int64) async throws -> [CacheEntry] {
        var entries: [CacheEntry] = []
        try await scan { batch in
            entries += batch.filter { $0.isLive(at: now) }
        }
        return entries
    }

    // MARK: - Index bookkeeping

    func remember(_ entry: CacheEntry) {
        let previous = state.withLock { state in
            state.touchedDuringLoad?.insert(entry.id)
            return state.known.updateValue(
                Known(namespaceID: entry.namespace.id, expiresAt: entry.expiresAt),
                forKey: entry.id
            )
        }
        if let previous, previous.namespaceID != entry.namespace.id {
            index.remove(id: entry.id, namespace: previous.namespaceID)
        }
        index.insert(id: entry.id, vector: entry.embedding, namespace: entry.namespace.id, expiresAt: entry.expiresAt)
    }

    func forget(id: String, namespaceID: String) {
        index.remove(id: id, namespace: namespaceID)
        state.withLock { state in
            if state.known[id]?.namespaceID == namespaceID { state.known[id] = nil }
        }
    }

    private func sweepIfDue(now: Int64) {
        let interval = max(1, CacheEntryCodec.milliseconds(configuration.sweepInterval))
        let due = state.withLock { state in
            guard now >= state.nextSweep else { return false }
            state.nextSweep = now + interval
            return true
        }
        guard due else { return }
        let expired = index.removeExpired(now: now)
        state.withLock { state in
            for (id, _) in expired where (state.known[id]?.expiresAt ?? .max) <= now { state.known[id] = nil }
        }
    }

    /// Runs a read command, mapping Redis failures to ``CacheError`` `.unavailable`.
    func read(_ command: [RedisArgument]) async throws(CacheError) -> RedisValue {
        do {
            return try await client.command(command)
        } catch {
            state.withLock { $0.statistics.failedReads += 1 }
            throw CacheError(.unavailable, "Redis read failed", cause: error)
        }
    }

    /// The first error in the replies of a `MULTI … EXEC` pipeline, or nil when the transaction ran.
    private static func transactionFailure(_ replies: [RedisValue]) -> String? {
        for reply in replies {
            if case .error(let message) = reply { return message }
        }
        guard replies.count >= 6, let results = replies[5].array else { return "the transaction was not executed" }
        for result in results {
            if case .error(let message) = result { return message }
        }
        return nil
    }
}
