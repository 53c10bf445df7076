/// A snapshot of a cache's counters since it was created, for metrics and the workflow summary.
public struct CacheStatistics: Sendable, Hashable {
    /// Lookups answered (reused + adapted + misses).
    public var lookups: Int = 0
    /// Lookups that reused a result.
    public var reused: Int = 0
    /// Lookups that adapted a reference result.
    public var adapted: Int = 0
    /// Lookups that missed (including those after an embedder or store failure).
    public var misses: Int = 0
    /// Of the hits, those found by the exact key.
    public var exactHits: Int = 0
    /// Tasks that bypassed the cache (`cacheable: false`), as reported by ``SemanticCache/noteBypassed()``.
    public var bypassed: Int = 0
    /// Results stored.
    public var stores: Int = 0
    /// Embedder failures (each turned into a miss or a skipped store).
    public var embedderFailures: Int = 0
    /// Store failures (each turned into a miss or a skipped store).
    public var storeFailures: Int = 0
    /// Live entries in the store, `nil` when the store could not say.
    public var entries: Int?
    /// The original durations of reused results: time not spent running tasks.
    public var timeSaved: Duration = .zero
    /// Wall time of all lookups.
    public var totalLookupTime: Duration = .zero
    /// The slowest lookup.
    public var maxLookupTime: Duration = .zero
    /// Median of the last (up to) 1024 lookups.
    public var recentLookupP50: Duration = .zero
    /// 99th percentile of the last (up to) 1024 lookups.
    public var recentLookupP99: Duration = .zero

    /// Creates an empty snapshot.
    public init() {}

    /// (reused + adapted) / lookups; 0 before the first lookup.
    public var hitRate: Double { lookups == 0 ? 0 : Double(reused + adapted) / Double(lookups) }
}
