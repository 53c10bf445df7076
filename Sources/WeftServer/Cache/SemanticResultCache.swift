public import WeftCache
public import WeftEngine

/// The engine's ``ResultCache`` on `WeftCache.SemanticCache` (in memory, or fronted by Redis).
public struct SemanticResultCache: ResultCache {
    public let cache: SemanticCache

    public init(cache: SemanticCache) {
        self.cache = cache
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
        let lookup = await cache.lookup(query, thresholds: thresholds)
        switch lookup.decision {
        case .reused(let entry, let similarity):
            return ResultCacheLookup(
                decision: .reuse(
                    output: entry.result, similarity: similarity, source: entry.source,
                    originalDuration: entry.originalDuration),
                token: lookup)
        case .adapted(let entry, let similarity):
            let reference = TaskResult(
                taskID: entry.source, output: entry.result, cache: .miss, attempt: 1, duration: entry.originalDuration)
            return ResultCacheLookup(
                decision: .adapt(
                    reference: reference, similarity: similarity, source: entry.source,
                    originalDuration: entry.originalDuration),
                token: lookup)
        case .miss, .bypassed:
            return ResultCacheLookup(decision: .miss, token: lookup)
        }
    }

    public func store(_ output: String, for lookup: ResultCacheLookup, source: String, duration: Duration) async {
        guard let token = lookup.token as? CacheLookup else { return }
        _ = await cache.store(output, for: token, source: source, originalDuration: duration)
    }
}
