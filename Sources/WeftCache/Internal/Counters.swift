extension SemanticCache {
    enum Failure { case embedder, store }

    /// The mutable side of ``CacheStatistics``, kept under the cache's mutex.
    struct Counters {
        static let window = 1024

        var statistics = CacheStatistics()
        /// Ring buffer of the last `window` lookup times.
        var recent: [Duration] = []
        var next = 0

        mutating func record(_ decision: CacheDecision, exact: Bool, failure: Failure?, elapsed: Duration) {
            statistics.lookups += 1
            switch decision {
            case .reused(let entry, _):
                statistics.reused += 1
                statistics.timeSaved += entry.originalDuration
            case .adapted:
                statistics.adapted += 1
            case .miss, .bypassed:
                statistics.misses += 1
            }
            if exact, decision.entry != nil { statistics.exactHits += 1 }
            switch failure {
            case .embedder: statistics.embedderFailures += 1
            case .store: statistics.storeFailures += 1
            case nil: break
            }
            statistics.totalLookupTime += elapsed
            statistics.maxLookupTime = max(statistics.maxLookupTime, elapsed)
            if recent.count < Self.window {
                recent.append(elapsed)
            } else {
                recent[next] = elapsed
                next = (next + 1) % Self.window
            }
        }

        func snapshot() -> CacheStatistics {
            var snapshot = statistics
            let sorted = recent.sorted()
            if !sorted.isEmpty {
                snapshot.recentLookupP50 = sorted[(sorted.count - 1) / 2]
                snapshot.recentLookupP99 =
                    sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
            }
            return snapshot
        }
    }
}
