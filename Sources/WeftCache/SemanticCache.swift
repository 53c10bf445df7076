import Synchronization

/// The result cache the engine calls: looks a task up (reuse / adapt / miss) and stores successful results.
///
/// Lookup: the exact key (`"{namespace.id}:{sha256(normalized text)}"`) first, a hit with similarity 1; otherwise
/// the task's text is embedded and the nearest live entry of its namespace is found; its cosine similarity
/// (``Similarity``) is compared with the thresholds (``CacheThresholds``, per call or the configured ones).
///
/// Failures never fail a task: an embedder or store error makes the lookup a miss (and a store call a no-op),
/// reported through `onWarning` and counted in ``statistics()``. Only successful results reach the cache: ``store(_:for:source:originalDuration:)``
/// takes a result, never a failure, and the engine calls it only when a task succeeded (and never for
/// `cacheable: false` tasks, which it reports through ``noteBypassed()``).
public final class SemanticCache: Sendable {
    /// The embedder; its model id is part of every namespace.
    public let embedder: any Embedder
    /// Where entries live.
    public let storage: any CacheStore
    /// Thresholds and TTL.
    public let configuration: CacheConfiguration
    /// The cache's time (entry creation and expiry).
    public let clock: CacheClock
    private let onWarning: @Sendable (String) -> Void
    private let counters = Mutex(Counters())

    /// A cache over `store` with `embedder`; `onWarning` receives one line per degraded operation.
    public init(
        store: any CacheStore,
        embedder: any Embedder,
        configuration: CacheConfiguration = .defaults,
        clock: CacheClock = .system,
        onWarning: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.storage = store
        self.embedder = embedder
        self.configuration = configuration
        self.clock = clock
        self.onWarning = onWarning
    }

    /// The in-memory cache: ``InMemoryCacheStore`` and ``HashingEmbedder``.
    public static func inMemory(
        configuration: CacheConfiguration = .defaults,
        clock: CacheClock = .system,
        onWarning: @escaping @Sendable (String) -> Void = { _ in }
    ) -> SemanticCache {
        let embedder = HashingEmbedder()
        return SemanticCache(
            store: InMemoryCacheStore(dimensions: embedder.dimensions),
            embedder: embedder,
            configuration: configuration,
            clock: clock,
            onWarning: onWarning
        )
    }

    /// The key of `query`: its normalized text and its namespace under this cache's embedder.
    public func key(for query: CacheQuery) -> CacheKey {
        CacheKey(
            text: CacheText(type: query.type, complexity: query.complexity, description: query.description),
            namespace: CacheNamespace(
                constraints: query.constraints,
                executor: query.executor,
                modelID: embedder.modelID
            )
        )
    }

    /// Looks `query` up: exact key, then nearest neighbour in its namespace, then `thresholds` (default: the
    /// configured ones). Never throws: failures are misses.
    public func lookup(_ query: CacheQuery, thresholds: CacheThresholds? = nil) async -> CacheLookup {
        let started = ContinuousClock.now
        let thresholds = thresholds ?? configuration.thresholds
        let key = key(for: query)
        let now = clock.unixMilliseconds()
        var embedding: [Float]?
        var decision = CacheDecision.miss
        var exact = false
        var failure: Failure?

        do {
            if let entry = try await storage.entry(id: key.id, now: now) {
                decision = thresholds.decide(entry, similarity: 1)
                exact = true
            }
        } catch {
            failure = .store
            warn("cache store failed on exact lookup of \(key.id): \(error)")
        }
        if !exact, failure == nil {
            do {
                embedding = try await embedOne(key.text.normalized)
            } catch {
                failure = .embedder
                warn("embedder \(embedder.modelID) failed; treating as a cache miss: \(error)")
            }
            if let embedding {
                do {
                    if let candidate = try await storage.nearest(to: embedding, in: key.namespace, now: now) {
                        decision = thresholds.decide(candidate.entry, similarity: candidate.similarity)
                    }
                } catch {
                    failure = .store
                    warn("cache store failed on nearest lookup in \(key.namespace.id): \(error)")
                }
            }
        }

        let elapsed = started.duration(to: .now)
        counters.withLock { $0.record(decision, exact: exact, failure: failure, elapsed: elapsed) }
        return CacheLookup(decision: decision, key: key, embedding: embedding)
    }

    /// Stores a successful result for the task `lookup` was made for (reusing its embedding when it has one);
    /// returns the entry, or `nil` when the embedder or the store failed (warned, counted).
    ///
    /// `source` is `"{workflow_id}/{task_id}"`; `originalDuration` is how long the task ran, what a later reuse
    /// saves. The entry expires `configuration.ttl` after now.
    @discardableResult
    public func store(
        _ result: String,
        for lookup: CacheLookup,
        source: String,
        originalDuration: Duration
    ) async
        -> CacheEntry?
    {
        await store(result, key: lookup.key, embedding: lookup.embedding, source: source, duration: originalDuration)
    }

    /// Stores a successful result for `query` (embedding its text).
    @discardableResult
    public func store(
        _ result: String,
        for query: CacheQuery,
        source: String,
        originalDuration: Duration
    ) async
        -> CacheEntry?
    {
        await store(result, key: key(for: query), embedding: nil, source: source, duration: originalDuration)
    }

    /// Counts a task that bypassed the cache (`cacheable: false`) and returns ``CacheDecision/bypassed``.
    @discardableResult
    public func noteBypassed() -> CacheDecision {
        counters.withLock { $0.statistics.bypassed += 1 }
        return .bypassed
    }

    /// The counters, and the store's live entry count.
    public func statistics() async -> CacheStatistics {
        var snapshot = counters.withLock { $0.snapshot() }
        snapshot.entries = try? await storage.count(now: clock.unixMilliseconds())
        return snapshot
    }

    // MARK: - Internals

    private func store(
        _ result: String,
        key: CacheKey,
        embedding: [Float]?,
        source: String,
        duration: Duration
    ) async
        -> CacheEntry?
    {
        let vector: [Float]
        if let embedding {
            vector = embedding
        } else {
            do {
                vector = try await embedOne(key.text.normalized)
            } catch {
                counters.withLock { $0.statistics.embedderFailures += 1 }
                warn("embedder \(embedder.modelID) failed; result of \(source) not cached: \(error)")
                return nil
            }
        }
        let now = clock.unixMilliseconds()
        let entry = CacheEntry(
            id: key.id,
            namespace: key.namespace,
            textHash: key.text.hash,
            text: key.text.normalized,
            embedding: vector,
            result: result,
            source: source,
            originalDuration: duration,
            createdAt: now,
            expiresAt: now + configuration.ttl.milliseconds,
            modelID: embedder.modelID
        )
        do {
            try await storage.insert(entry)
        } catch {
            counters.withLock { $0.statistics.storeFailures += 1 }
            warn("cache store failed; result of \(source) not cached: \(error)")
            return nil
        }
        counters.withLock { $0.statistics.stores += 1 }
        return entry
    }

    private func embedOne(_ text: String) async throws -> [Float] {
        let vectors = try await embedder.embed([text])
        guard vectors.count == 1, vectors[0].count == embedder.dimensions else {
            throw EmbedderError(
                .malformedReply,
                "expected 1 vector of \(embedder.dimensions) dimensions, got \(vectors.map(\.count))"
            )
        }
        return vectors[0]
    }

    private func warn(_ message: String) { onWarning(message) }
}
