import Testing
import WeftCache
import WeftRedis

/// The cache through a Redis outage: each test runs a redis-server of its own and stops it mid-run.
@Suite(
    "RedisCacheStore through a Redis outage",
    .enabled(if: TestRedis.ownServerTestsEnabled, TestRedis.ownServerDisabled)
)
struct RedisCacheStoreOutageTests {
    static let query = CacheQuery(
        type: "api",
        complexity: "MEDIUM",
        description: "Create user login endpoint",
        constraints: ["language": "go"],
        executor: "sim"
    )
    static let otherQuery = CacheQuery(
        type: "database",
        complexity: "COMPLEX",
        description: "Add an index on orders by customer",
        constraints: ["language": "go"],
        executor: "sim"
    )

    @Test("with Redis down lookups are quick misses and inserts are dropped with a warning; after a restart it works")
    func outageAndRecovery() async throws {
        let server = try await RedisServerProcess()
        let configuration = server.configuration(commandTimeout: .seconds(2))
        let client = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer {
            subscriber.shutdown()
            client.shutdown()
        }
        let store = RedisCacheStore(
            client: client,
            subscriber: subscriber,
            dimensions: CacheFixtures.embedder.dimensions
        )
        let warnings = WarningLog()
        let cache = SemanticCache(store: store, embedder: CacheFixtures.embedder, onWarning: warnings.handler)

        try await CacheFixtures.withRunning([store]) {
            #expect(await eventually(timeout: .seconds(10)) { store.isSynchronized })
            #expect(
                await cache.store("result 1", for: Self.query, source: "wf/1", originalDuration: .seconds(2)) != nil
            )
            #expect(await cache.lookup(Self.query).decision.outcome == .reused)

            await server.stop()
            // Lookups are misses, and quick: the first pays for one refused connection, the next fail at once
            // while the client waits to reconnect. A hung lookup would take the 2 s command timeout.
            var durations: [Duration] = []
            for _ in 0..<5 {
                durations.append(
                    await elapsed {
                        #expect(await cache.lookup(Self.query).decision == .miss)
                    }
                )
            }
            #expect(median(durations) < .milliseconds(500))
            #expect(durations.reduce(.zero, +) < .seconds(10))
            // The nearest-neighbour path: the index still holds the entry, but Redis cannot confirm it.
            #expect(store.index.count == 1)
            let key = cache.key(for: Self.query)
            let embedding = CacheFixtures.embedder.vector(key.text.normalized)
            await #expect {
                try await store.nearest(to: embedding, in: key.namespace, now: CacheFixtures.now())
            } throws: { error in
                (error as? CacheError)?.code == .unavailable
            }

            // Inserts are dropped with a warning, quickly, and fail nothing.
            let warningsBefore = warnings.messages.count
            durations = []
            for attempt in 0..<3 {
                durations.append(
                    await elapsed {
                        let entry = await cache.store(
                            "result 2.\(attempt)",
                            for: Self.otherQuery,
                            source: "wf/2",
                            originalDuration: .seconds(1)
                        )
                        #expect(entry == nil)
                    }
                )
            }
            #expect(median(durations) < .milliseconds(500))
            #expect(store.statistics.droppedInserts == 3)
            #expect(warnings.messages.count >= warningsBefore + 3)
            #expect(warnings.messages.last?.contains("not cached") == true)

            // Redis comes back (empty: no persistence); the store reconnects, reloads, and works again.
            try await server.start()
            #expect(
                await eventually(timeout: .seconds(15)) {
                    await cache.store("result 3", for: Self.otherQuery, source: "wf/3", originalDuration: .seconds(1))
                        != nil
                }
            )
            #expect(await cache.lookup(Self.otherQuery).decision.entry?.result == "result 3")
            #expect(await eventually(timeout: .seconds(15)) { store.isSynchronized })
            // The entry lost with the old server is a miss and has left the index.
            #expect(await cache.lookup(Self.query).decision == .miss)
            #expect(try await store.count(now: CacheFixtures.now()) == 1)
        }
        await server.stop()
    }

    @Test("a store started while Redis is down synchronizes once Redis is up")
    func startWithoutRedis() async throws {
        let server = try await RedisServerProcess()
        await server.stop()
        let configuration = server.configuration()
        let client = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer {
            subscriber.shutdown()
            client.shutdown()
        }
        let store = RedisCacheStore(
            client: client,
            subscriber: subscriber,
            dimensions: CacheFixtures.embedder.dimensions
        )
        let entry = CacheFixtures.entry("entry written by another process after Redis came up")
        try await CacheFixtures.withRunning([store]) {
            try await Task.sleep(for: .milliseconds(200))
            #expect(!store.isSynchronized)
            #expect(try await store.nearest(to: entry.embedding, in: entry.namespace, now: CacheFixtures.now()) == nil)
            await #expect(throws: CacheError.self) { try await store.entry(id: entry.id, now: CacheFixtures.now()) }

            try await server.start()
            #expect(await eventually(timeout: .seconds(15)) { store.isSynchronized })
            let writer = RedisCacheStore(
                client: client,
                subscriber: subscriber,
                dimensions: CacheFixtures.embedder.dimensions
            )
            try await writer.insert(entry)
            #expect(await eventually(timeout: .seconds(5)) { store.statistics.remoteInserts == 1 })
            let candidate = try await store.nearest(to: entry.embedding, in: entry.namespace, now: CacheFixtures.now())
            #expect(candidate?.entry.id == entry.id)
        }
        await server.stop()
    }
}
