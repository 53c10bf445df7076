public import WeftCache
public import WeftEngine

/// The engine's ``ResultCache`` on `WeftCache.SemanticCache` (in memory, or fronted by Redis).
public struct SemanticResultCache: ResultCache {
    public let cache: SemanticCache
    private let metrics: CacheMetrics

    public init(cache: SemanticCache, metrics: CacheMetrics = CacheMetrics()) {
        self.cache = cache
        self.metrics = metrics
    }

    public func lookup(
        task: TaskSpec, constraints: [String: String], reuseThreshold: Double?, similarityThreshold: Double?
    ) async -> ResultCacheLookup {
        let query = CacheQuery(
            type: task.type, complexity: task.complexity.rawValue, description: task.description,
            constraints: constraints, executor: task.executor)
        var thresholds: CacheThresholds?
        if reuseThreshold != nil || similarityThreshold != nil {
            let defaults = cache.configuration.thresholds
            thresholds = CacheThresholds(
                reuse: reuseThreshold ?? defaults.reuse, similarity: similarityThreshold ?? defaults.similarity)
        }
        let started = ContinuousClock.now
        let lookup = await cache.lookup(query, thresholds: thresholds)
        let elapsed = ContinuousClock.now - started
        metrics.lookupDuration.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        switch lookup.decision {
        case .reused(let entry, let similarity):
            metrics.reused.increment()
            metrics.timeSaved.increment(by: Double(entry.originalDuration.components.seconds)
                + Double(entry.originalDuration.components.attoseconds) / 1e18)
            return ResultCacheLookup(
                decision: .reuse(
                    output: entry.result, similarity: similarity, source: entry.source,
                    originalDuration: entry.originalDuration),
                token: lookup)
        case .adapted(let entry, let similarity):
            metrics.adapted.increment()
            let reference = TaskResult(
                taskID: entry.source, output: entry.result, cache: .miss, attempt: 1, duration: entry.originalDuration)
            return ResultCacheLookup(
                decision: .adapt(
                    reference: reference, similarity: similarity, source: entry.source,
                    originalDuration: entry.originalDuration),
                token: lookup)
        case .miss, .bypassed:
            metrics.missed.increment()
            return ResultCacheLookup(decision: .miss, token: lookup)
        }
    }

    public func store(_ output: String, for lookup: ResultCacheLookup, source: String, duration: Duration) async {
        guard let token = lookup.token as? CacheLookup else { return }
        _ = await cache.store(output, for: token, source: source, originalDuration: duration)
        if let entries = await cache.statistics().entries { metrics.entries.record(entries) }
    }
}
