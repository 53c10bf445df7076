import Synchronization
import Testing
import WeftCache

@Suite("SemanticCache lookup policy")
struct SemanticCacheTests {
    /// Unit vector whose dot product with e0 is exactly `similarity` in Float32.
    static func at(_ similarity: Float) -> [Float] { [similarity, (1 - similarity * similarity).squareRoot(), 0, 0] }

    static let table: [String: [Float]] = [
        "reference": [1, 0, 0, 0],
        "exactly reuse": at(0.95),
        "just below reuse": at(0.9499),
        "exactly adapt": at(0.85),
        "just below adapt": at(0.8499),
        "orthogonal": [0, 0, 1, 0],
    ]

    func makeCache(time: ManualTime = ManualTime()) -> SemanticCache {
        SemanticCache(
            store: InMemoryCacheStore(dimensions: 4),
            embedder: TableEmbedder(table: Self.table),
            clock: time.clock
        )
    }

    @Test("a similarity of exactly 0.95 reuses and exactly 0.85 adapts; just below each does not")
    func thresholdBoundaries() async throws {
        let cache = makeCache()
        let stored = try #require(
            await cache.store("the result", for: .task("reference"), source: "wf1/t1", originalDuration: .seconds(120))
        )

        let reuse = await cache.lookup(.task("exactly reuse")).decision
        #expect(reuse == .reused(stored, similarity: 0.95))
        let belowReuse = await cache.lookup(.task("just below reuse")).decision
        #expect(belowReuse.outcome == .adapted)
        #expect(belowReuse.similarity == 0.9499)
        let adapt = await cache.lookup(.task("exactly adapt")).decision
        #expect(adapt == .adapted(stored, similarity: 0.85))
        let belowAdapt = await cache.lookup(.task("just below adapt")).decision
        #expect(belowAdapt == .miss)
        #expect(await cache.lookup(.task("orthogonal")).decision == .miss)
    }

    @Test("thresholds decide inclusively in Double on the widened similarity")
    func thresholdsDecide() {
        let entry = CacheEntry(
            id: "n:h",
            namespace: CacheNamespace(canonical: "n"),
            textHash: "h",
            text: "t",
            embedding: [],
            result: "r",
            source: "s",
            originalDuration: .zero,
            createdAt: 0,
            expiresAt: 1,
            modelID: "m"
        )
        let thresholds = CacheThresholds.defaults
        #expect(thresholds.decide(entry, similarity: Similarity.widen(Float(0.95))).outcome == .reused)
        #expect(thresholds.decide(entry, similarity: Similarity.widen(Float(0.85))).outcome == .adapted)
        #expect(thresholds.decide(entry, similarity: Similarity.widen(Float(0.95).nextDown)).outcome == .adapted)
        #expect(thresholds.decide(entry, similarity: Similarity.widen(Float(0.85).nextDown)).outcome == .miss)
        #expect(Similarity.widen(1.0000001) == 1)
        #expect(Similarity.widen(-3) == -1)
    }

    @Test("per-call thresholds override the configured ones")
    func perCallThresholds() async throws {
        let cache = makeCache()
        await cache.store("r", for: .task("reference"), source: "wf1/t1", originalDuration: .seconds(1))
        let strict = CacheThresholds(reuse: 0.99, similarity: 0.9)
        #expect(await cache.lookup(.task("exactly reuse"), thresholds: strict).decision.outcome == .adapted)
        #expect(await cache.lookup(.task("exactly adapt"), thresholds: strict).decision == .miss)
        let lax = CacheThresholds(reuse: 0.8, similarity: 0.5)
        #expect(await cache.lookup(.task("exactly adapt"), thresholds: lax).decision.outcome == .reused)
        // Above 1 switches reuse off, even for an exact hit.
        let noReuse = CacheThresholds(reuse: 1.01, similarity: 0.85)
        #expect(await cache.lookup(.task("reference"), thresholds: noReuse).decision.outcome == .adapted)
    }

    @Test("an exact-key hit reuses with similarity 1 and is counted as exact")
    func exactHit() async throws {
        let cache = SemanticCache.inMemory(clock: ManualTime().clock)
        let stored = try #require(
            await cache.store(
                "def login(): ...",
                for: .task("Create user login endpoint"),
                source: "wf1/login",
                originalDuration: .seconds(120)
            )
        )
        let lookup = await cache.lookup(.task("  create USER login endpoint! "))
        #expect(lookup.decision == .reused(stored, similarity: 1))
        #expect(lookup.key.id == stored.id)
        let statistics = await cache.statistics()
        #expect(statistics.exactHits == 1)
        #expect(statistics.reused == 1)
        #expect(statistics.timeSaved == .seconds(120))
        #expect(statistics.entries == 1)
    }

    @Test("identical text under another language constraint or executor is a miss")
    func namespaceIsolation() async throws {
        let cache = SemanticCache.inMemory(clock: ManualTime().clock)
        await cache.store(
            "package main",
            for: .task("write the parser", language: "go"),
            source: "wf1/p",
            originalDuration: .seconds(5)
        )
        #expect(await cache.lookup(.task("write the parser", language: "python")).decision == .miss)
        #expect(await cache.lookup(.task("write the parser", language: "go", executor: "exec:build")).decision == .miss)
        #expect(await cache.lookup(.task("write the parser", language: "Go")).decision.outcome == .reused)
    }

    @Test("an entry is served 3599 s after insertion and not at 3600 s (virtual time)")
    func ttlExpiry() async throws {
        let time = ManualTime()
        let cache = makeCache(time: time)
        let stored = try #require(
            await cache.store("r", for: .task("reference"), source: "wf1/t1", originalDuration: .seconds(1))
        )
        #expect(stored.expiresAt - stored.createdAt == 3_600_000)
        time.advance(by: .seconds(3599))
        #expect(await cache.lookup(.task("reference")).decision.outcome == .reused)
        #expect(await cache.lookup(.task("exactly adapt")).decision.outcome == .adapted)
        time.advance(by: .seconds(1))
        #expect(await cache.lookup(.task("reference")).decision == .miss)
        #expect(await cache.lookup(.task("exactly adapt")).decision == .miss)
        #expect(await cache.statistics().entries == 0)
    }

    @Test("hits do not refresh the TTL")
    func ttlIsAbsolute() async throws {
        let time = ManualTime()
        let cache = makeCache(time: time)
        await cache.store("r", for: .task("reference"), source: "wf1/t1", originalDuration: .seconds(1))
        for _ in 0..<6 {
            time.advance(by: .seconds(590))
            #expect(await cache.lookup(.task("reference")).decision.outcome == .reused)
        }
        time.advance(by: .seconds(60))  // 3600 s after insertion
        #expect(await cache.lookup(.task("reference")).decision == .miss)
    }

    @Test("CacheClock follows an injected Clock<Duration>")
    func clockInjection() async throws {
        let clock = ManualClock()
        let cache = SemanticCache(
            store: InMemoryCacheStore(dimensions: 4),
            embedder: TableEmbedder(table: Self.table),
            configuration: CacheConfiguration(ttl: .seconds(10)),
            clock: CacheClock(clock: clock, epochMilliseconds: 1_000)
        )
        let stored = try #require(
            await cache.store("r", for: .task("reference"), source: "w/t", originalDuration: .zero)
        )
        #expect(stored.createdAt == 1_000)
        clock.advance(by: .milliseconds(9_999))
        #expect(await cache.lookup(.task("reference")).decision.outcome == .reused)
        clock.advance(by: .milliseconds(1))
        #expect(await cache.lookup(.task("reference")).decision == .miss)
    }

    @Test("a failed task stores nothing: the next lookup misses")
    func failedResultsAreNotStored() async throws {
        let cache = makeCache()
        let first = await cache.lookup(.task("reference"))
        #expect(first.decision == .miss)
        // The engine runs the task; it fails, so it never calls `store` (whose only input is a successful result).
        let second = await cache.lookup(.task("reference"))
        #expect(second.decision == .miss)
        let statistics = await cache.statistics()
        #expect(statistics.stores == 0)
        #expect(statistics.entries == 0)
        #expect(statistics.misses == 2)
    }

    @Test("an adapt decision carries the reference entry with its result and source")
    func adaptCarriesReference() async throws {
        let cache = makeCache()
        let miss = await cache.lookup(.task("reference"))
        await cache.store("reference result", for: miss, source: "wf7/task3", originalDuration: .seconds(42))
        let lookup = await cache.lookup(.task("exactly adapt"))
        let reference = try #require(lookup.decision.entry)
        #expect(lookup.decision.outcome == .adapted)
        #expect(reference.result == "reference result")
        #expect(reference.source == "wf7/task3")
        #expect(reference.originalDuration == .seconds(42))
        #expect(reference.text == "api|medium|reference")
        #expect(reference.modelID == "test-table-v1")
        #expect(reference.embedding == [1, 0, 0, 0])
    }

    @Test("an embedder failure is a miss with a warning, never an error")
    func embedderFailure() async throws {
        let warnings = Mutex<[String]>([])
        let cache = SemanticCache(
            store: InMemoryCacheStore(dimensions: 4),
            embedder: FailingEmbedder(),
            onWarning: { message in warnings.withLock { $0.append(message) } }
        )
        let lookup = await cache.lookup(.task("anything"))
        #expect(lookup.decision == .miss)
        #expect(await cache.store("r", for: lookup, source: "w/t", originalDuration: .zero) == nil)
        #expect(warnings.withLock { $0.count } == 2)
        #expect(warnings.withLock { $0[0] }.contains("embedder is down"))
        #expect(await cache.statistics().embedderFailures == 2)
    }

    @Test("a store failure is a miss with a warning, never an error")
    func storeFailure() async throws {
        let warnings = Mutex<[String]>([])
        let cache = SemanticCache(
            store: FailingStore(),
            embedder: HashingEmbedder(),
            onWarning: { message in warnings.withLock { $0.append(message) } }
        )
        #expect(await cache.lookup(.task("anything")).decision == .miss)
        #expect(await cache.store("r", for: .task("anything"), source: "w/t", originalDuration: .zero) == nil)
        #expect(warnings.withLock { $0.count } == 2)
        let statistics = await cache.statistics()
        #expect(statistics.storeFailures == 2)
        #expect(statistics.entries == nil)
    }

    @Test("bypassed tasks are counted but touch nothing")
    func bypass() async throws {
        let cache = makeCache()
        #expect(cache.noteBypassed() == .bypassed)
        let statistics = await cache.statistics()
        #expect(statistics.bypassed == 1)
        #expect(statistics.lookups == 0)
    }

    @Test("storing the same text again replaces the entry and restarts its TTL")
    func replace() async throws {
        let time = ManualTime()
        let cache = makeCache(time: time)
        await cache.store("old", for: .task("reference"), source: "w/1", originalDuration: .zero)
        time.advance(by: .seconds(3000))
        await cache.store("new", for: .task("reference"), source: "w/2", originalDuration: .zero)
        time.advance(by: .seconds(3000))
        let hit = await cache.lookup(.task("reference")).decision
        #expect(hit.entry?.result == "new")
        #expect(await cache.statistics().entries == 1)
    }

    @Test("many concurrent stores and lookups stay consistent")
    func concurrentStoresAndLookups() async throws {
        let cache = SemanticCache.inMemory(clock: ManualTime().clock)
        let topics = ["login endpoint", "orders table", "payment service", "search index", "email worker"]
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for round in 0..<25 {
                        let description =
                            "create \(topics[(worker + round) % topics.count]) version w\(worker)r\(round)"
                        let lookup = await cache.lookup(.task(description))
                        if lookup.decision.outcome != .reused {
                            await cache.store(
                                "result \(description)",
                                for: lookup,
                                source: "w\(worker)/\(round)",
                                originalDuration: .seconds(1)
                            )
                        }
                        _ = await cache.lookup(.task("create \(topics[round % topics.count]) version w0r0"))
                    }
                }
            }
        }
        for worker in 0..<16 {
            for round in 0..<25 {
                let description = "create \(topics[(worker + round) % topics.count]) version w\(worker)r\(round)"
                let decision = await cache.lookup(.task(description)).decision
                #expect(decision.outcome == .reused)
                #expect(decision.entry?.result == "result \(description)")
            }
        }
        let statistics = await cache.statistics()
        #expect(statistics.entries == 400)
        #expect(statistics.lookups == 16 * 25 * 2 + 400)
    }
}
