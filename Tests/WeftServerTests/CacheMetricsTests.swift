import MetricsTestKit
import Testing
import WeftCache
import WeftEngine
import WeftServer

/// The cache adapter reports lookups, their latency, entries and time saved through swift-metrics.
@Suite("Cache metrics")
struct CacheMetricsTests {
    @Test("a miss, a store and a reuse move the counters, the timer and the entries gauge")
    func countersMove() async throws {
        let metrics = TestMetrics()
        let cache = SemanticResultCache(cache: .inMemory(), metrics: CacheMetrics(factory: metrics))
        let task = TaskSpec(id: "login", type: "api", description: "Create user login endpoint", executor: "sim")
        let first = await cache.lookup(task: task, constraints: ["language": "python"], reuseThreshold: nil,
                                       similarityThreshold: nil)
        guard case .miss = first.decision else {
            Issue.record("an empty cache must miss, got \(first.decision)")
            return
        }
        await cache.store("result", for: first, source: "wf-1/login", duration: .milliseconds(1500))
        let second = await cache.lookup(task: task, constraints: ["language": "python"], reuseThreshold: nil,
                                        similarityThreshold: nil)
        guard case .reuse = second.decision else {
            Issue.record("an identical task must be reused, got \(second.decision)")
            return
        }
        #expect(try metrics.expectCounter("weft_cache_lookups_total", [("outcome", "miss")]).totalValue == 1)
        #expect(try metrics.expectCounter("weft_cache_lookups_total", [("outcome", "reused")]).totalValue == 1)
        #expect(try metrics.expectCounter("weft_cache_lookups_total", [("outcome", "adapted")]).totalValue == 0)
        #expect(try metrics.expectTimer("weft_cache_lookup_duration_seconds").values.count == 2)
        #expect(try metrics.expectGauge("weft_cache_entries").lastValue == 1)
    }
}
