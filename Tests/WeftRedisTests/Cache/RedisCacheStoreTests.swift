import Testing
import WeftCache
import WeftRedis

@Suite(
    "RedisCacheStore against the shared redis-server",
    .enabled(if: TestRedis.sharedServerTestsEnabled, TestRedis.sharedServerDisabled)
)
struct RedisCacheStoreTests {
    let client: RedisClient
    let subscriber: RedisSubscriber
    let layout = RedisCacheLayout(prefix: TestRedis.uniquePrefix("cache"))

    init() throws {
        let configuration = try TestRedis.configuration()
        client = RedisClient(configuration: configuration)
        subscriber = RedisSubscriber(configuration: configuration)
    }

    func makeStore(scanCount: Int = 500) -> RedisCacheStore {
        RedisCacheStore(
            client: client,
            subscriber: subscriber,
            dimensions: CacheFixtures.embedder.dimensions,
            configuration: .init(layout: layout, scanCount: scanCount)
        )
    }

    func cleanUp() async {
        var cursor = "0"
        repeat {
            guard let reply = try? await client.command("SCAN", RedisArgument(cursor), "MATCH", "\(layout.prefix):*"),
                let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array
            else { break }
            cursor = next
            if !keys.isEmpty {
                _ = try? await client.command(["DEL"] + keys.compactMap { $0.bytes.map(RedisArgument.init) })
            }
        } while cursor != "0"
        subscriber.shutdown()
        client.shutdown()
    }

    @Test("an entry is a Redis hash with every field, an exact key, and TTLs no longer than the cache TTL")
    func layoutInRedis() async throws {
        let store = makeStore()
        let cache = SemanticCache(
            store: store,
            embedder: CacheFixtures.embedder,
            configuration: CacheConfiguration(ttl: .seconds(600))
        )
        let query = CacheQuery(
            type: "api",
            complexity: "MEDIUM",
            description: "Create user login endpoint",
            constraints: ["language": "python"],
            executor: "sim"
        )
        let stored = try #require(
            await cache.store("def login(): ...", for: query, source: "wf-7/login", originalDuration: .seconds(3))
        )

        let entryKey = RedisArgument(layout.entryKey(id: stored.id))
        let hash = try await client.command("HGETALL", entryKey).array ?? []
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: hash.count, by: 2) {
            fields[hash[index].string ?? ""] = hash[index + 1].bytes
        }
        #expect(fields["text"].map { String(decoding: $0, as: UTF8.self) } == "api|medium|create user login endpoint")
        #expect(fields["namespace"].map { String(decoding: $0, as: UTF8.self) } == stored.namespace.canonical)
        #expect(fields["model_id"].map { String(decoding: $0, as: UTF8.self) } == "weft-hash-v1-384")
        #expect(fields["result"].map { String(decoding: $0, as: UTF8.self) } == "def login(): ...")
        #expect(fields["source"].map { String(decoding: $0, as: UTF8.self) } == "wf-7/login")
        #expect(fields["original_duration_ms"].map { String(decoding: $0, as: UTF8.self) } == "3000")
        #expect(fields["created_ms"].map { String(decoding: $0, as: UTF8.self) } == String(stored.createdAt))
        // float32 little-endian, 4 bytes per dimension
        let embedding = try #require(fields["embedding"])
        #expect(embedding.count == 384 * 4)
        let first =
            UInt32(embedding[0]) | UInt32(embedding[1]) << 8 | UInt32(embedding[2]) << 16
            | UInt32(embedding[3]) << 24
        #expect(Float(bitPattern: first) == stored.embedding[0])

        let exactKey = RedisArgument(layout.exactKey(namespaceID: stored.namespace.id, textHash: stored.textHash))
        #expect(try await client.command("GET", exactKey) == .string(Array(stored.id.utf8)))
        for key in [entryKey, exactKey] {
            let ttl = try #require(try await client.command("PTTL", key).integer)
            #expect(ttl > 0 && ttl <= 600_000)
        }

        // The same text is an exact hit, served from Redis.
        let lookup = await cache.lookup(query)
        #expect(lookup.decision.outcome == .reused)
        #expect(lookup.decision.entry?.result == "def login(): ...")
        await cleanUp()
    }

    @Test("a second store loads the first one's entries with SCAN, across several SCAN batches")
    func loadAtStart() async throws {
        let first = makeStore()
        let entries = (0..<7).map { CacheFixtures.entry("task number \($0) builds module \($0)") }
        for entry in entries { try await first.insert(entry) }

        let second = makeStore(scanCount: 2)
        #expect(try await second.count(now: CacheFixtures.now()) == 0)
        #expect(try await second.load() == 7)
        #expect(try await second.count(now: CacheFixtures.now()) == 7)
        #expect(second.statistics.loadedEntries == 7)
        let candidate = try #require(
            try await second.nearest(to: entries[3].embedding, in: entries[3].namespace, now: CacheFixtures.now())
        )
        #expect(candidate.entry == entries[3])
        #expect(candidate.similarity > 0.999)
        #expect(Set(try await second.entries(now: CacheFixtures.now()).map(\.id)) == Set(entries.map(\.id)))
        await cleanUp()
    }

    @Test("a running second store learns of the first one's inserts through pub/sub; the first ignores its own")
    func pubSubInserts() async throws {
        let first = makeStore()
        let second = makeStore()
        let early = CacheFixtures.entry("stored before the second process started")
        try await first.insert(early)
        try await CacheFixtures.withRunning([first, second]) {
            #expect(await eventually(timeout: .seconds(10)) { first.isSynchronized && second.isSynchronized })
            #expect(try await second.count(now: CacheFixtures.now()) == 1)  // the SCAN at start

            let late = CacheFixtures.entry("stored while the second process runs", result: "fresh")
            try await first.insert(late)
            #expect(await eventually(timeout: .seconds(5)) { second.statistics.remoteInserts == 1 })
            let candidate = try await second.nearest(to: late.embedding, in: late.namespace, now: CacheFixtures.now())
            #expect(candidate?.entry.result == "fresh")
            #expect(try await second.entry(id: late.id, now: CacheFixtures.now())?.result == "fresh")
            try await Task.sleep(for: .milliseconds(100))
            #expect(first.statistics.remoteInserts == 0)
        }
        await cleanUp()
    }

    @Test("an index hit whose Redis key was deleted is a miss and leaves the index")
    func deletedKeyIsMiss() async throws {
        let store = makeStore()
        let entry = CacheFixtures.entry("deploy the billing service")
        try await store.insert(entry)
        #expect(store.index.count == 1)
        #expect(try await client.command("DEL", RedisArgument(layout.entryKey(id: entry.id))) == .integer(1))

        #expect(try await store.nearest(to: entry.embedding, in: entry.namespace, now: CacheFixtures.now()) == nil)
        #expect(store.index.count == 0)
        #expect(try await store.count(now: CacheFixtures.now()) == 0)
        #expect(store.statistics.staleEntriesDropped == 1)
        #expect(try await store.entry(id: entry.id, now: CacheFixtures.now()) == nil)
        await cleanUp()
    }

    @Test("a stale row does not hide a live one behind it")
    func staleThenLive() async throws {
        let store = makeStore()
        let gone = CacheFixtures.entry("write unit tests for the parser")
        let live = CacheFixtures.entry("write unit tests for the parser module", result: "live")
        try await store.insert(gone)
        try await store.insert(live)
        _ = try await client.command("DEL", RedisArgument(layout.entryKey(id: gone.id)))
        let candidate = try await store.nearest(to: gone.embedding, in: gone.namespace, now: CacheFixtures.now())
        #expect(candidate?.entry.id == live.id)
        #expect(store.index.count == 1)
        await cleanUp()
    }

    @Test("entries are served only until their expiry, and only in their namespace")
    func expiryAndNamespaces() async throws {
        let store = makeStore()
        let entry = CacheFixtures.entry("migrate the users table", ttl: .seconds(30))
        try await store.insert(entry)
        #expect(try await store.nearest(to: entry.embedding, in: entry.namespace, now: entry.expiresAt - 1) != nil)
        #expect(try await store.nearest(to: entry.embedding, in: entry.namespace, now: entry.expiresAt) == nil)
        #expect(try await store.entry(id: entry.id, now: entry.expiresAt) == nil)
        #expect(
            try await store.nearest(to: entry.embedding, in: CacheFixtures.namespace("go"), now: CacheFixtures.now())
                == nil
        )
        await cleanUp()
    }

    @Test("remove deletes the entry hash and its exact key")
    func remove() async throws {
        let store = makeStore()
        let entry = CacheFixtures.entry("rotate the signing keys")
        try await store.insert(entry)
        #expect(try await store.remove(id: entry.id))
        #expect(try await client.command("EXISTS", RedisArgument(layout.entryKey(id: entry.id))) == .integer(0))
        let exactKey = layout.exactKey(namespaceID: entry.namespace.id, textHash: entry.textHash)
        #expect(try await client.command("EXISTS", RedisArgument(exactKey)) == .integer(0))
        #expect(store.index.count == 0)
        #expect(try await store.remove(id: entry.id) == false)
        await cleanUp()
    }

    @Test("inserting the same text again replaces the entry and restarts its TTL")
    func replace() async throws {
        let store = makeStore()
        let first = CacheFixtures.entry("index the documents", result: "old", ttl: .seconds(5))
        try await store.insert(first)
        let second = CacheFixtures.entry("index the documents", result: "new", ttl: .seconds(60))
        try await store.insert(second)
        #expect(try await store.entry(id: second.id, now: CacheFixtures.now())?.result == "new")
        let ttl = try await client.command("PTTL", RedisArgument(layout.entryKey(id: second.id))).integer ?? 0
        #expect(ttl > 5_000)
        #expect(store.index.count == 1)
        await cleanUp()
    }

    @Test("concurrent inserts and lookups from two stores stay consistent")
    func concurrentInsertsAndLookups() async throws {
        let first = makeStore()
        let second = makeStore()
        let entries = (0..<40).map { CacheFixtures.entry("concurrent task \($0) handles shard \($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, entry) in entries.enumerated() {
                group.addTask {
                    try await (index.isMultiple(of: 2) ? first : second).insert(entry)
                    _ = try await first.nearest(to: entry.embedding, in: entry.namespace, now: CacheFixtures.now())
                }
            }
            try await group.waitForAll()
        }
        let reader = makeStore()
        #expect(try await reader.load() == 40)
        for entry in entries {
            let candidate = try await reader.nearest(to: entry.embedding, in: entry.namespace, now: CacheFixtures.now())
            #expect(candidate?.entry.id == entry.id)
        }
        await cleanUp()
    }

    @Test("an entry of the wrong dimensions is refused")
    func wrongDimensions() async throws {
        let store = makeStore()
        var entry = CacheFixtures.entry("anything")
        entry.embedding = [1, 0, 0]
        await #expect {
            try await store.insert(entry)
        } throws: { error in
            (error as? CacheError)?.code == .invalidEntry
        }
        await cleanUp()
    }
}
