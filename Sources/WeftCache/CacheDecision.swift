/// What a lookup decided for a task.
public enum CacheDecision: Sendable, Hashable {
    /// Similarity ≥ the reuse threshold: complete the task with `entry.result` without running it.
    case reused(CacheEntry, similarity: Double)
    /// Similarity ≥ the similarity threshold (and below reuse): run the task with `entry.result` as its reference.
    case adapted(CacheEntry, similarity: Double)
    /// Nothing similar enough (or the embedder or store failed: see ``SemanticCache``'s warning hook).
    case miss
    /// The task is not cacheable (`cacheable: false`): the cache was neither read nor written.
    case bypassed

    /// The outcome without its payload.
    public var outcome: CacheOutcome {
        switch self {
        case .reused: .reused
        case .adapted: .adapted
        case .miss: .miss
        case .bypassed: .bypassed
        }
    }

    /// The entry a hit refers to (the result to reuse, or the reference to adapt), `nil` for a miss.
    public var entry: CacheEntry? {
        switch self {
        case .reused(let entry, _), .adapted(let entry, _): entry
        case .miss, .bypassed: nil
        }
    }

    /// The hit's similarity on the ``Similarity`` scale, `nil` for a miss.
    public var similarity: Double? {
        switch self {
        case .reused(_, let similarity), .adapted(_, let similarity): similarity
        case .miss, .bypassed: nil
        }
    }
}

/// A lookup's outcome: the values of the API's cache outcome enum (`…_MISS`, `…_REUSED`, `…_ADAPTED`).
public enum CacheOutcome: String, Sendable, Hashable, CaseIterable {
    case miss = "MISS"
    case reused = "REUSED"
    case adapted = "ADAPTED"
    case bypassed = "BYPASSED"
}

/// The two thresholds on the ``Similarity`` scale; a workflow may override the server's.
///
/// A similarity `s` reuses when `s >= reuse`, else adapts when `s >= similarity`, else misses (both inclusive,
/// reuse checked first). A threshold above 1 switches its outcome off (an exact-key hit has similarity 1).
public struct CacheThresholds: Sendable, Hashable {
    /// `CACHE_REUSE_THRESHOLD`, default 0.95.
    public var reuse: Double
    /// `CACHE_SIMILARITY_THRESHOLD`, default 0.85.
    public var similarity: Double

    /// Creates thresholds.
    public init(reuse: Double = 0.95, similarity: Double = 0.85) {
        self.reuse = reuse
        self.similarity = similarity
    }

    /// 0.95 and 0.85, the original platform's values.
    public static var defaults: CacheThresholds { CacheThresholds() }

    /// The decision for a candidate at `similarity`.
    public func decide(_ entry: CacheEntry, similarity: Double) -> CacheDecision {
        if similarity >= reuse { return .reused(entry, similarity: similarity) }
        if similarity >= self.similarity { return .adapted(entry, similarity: similarity) }
        return .miss
    }
}
