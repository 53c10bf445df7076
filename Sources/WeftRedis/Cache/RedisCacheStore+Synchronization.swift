import Logging
import WeftCache

extension RedisCacheStore {
    /// Keeps the index in step with Redis until cancelled: subscribes to the inserts channel, loads every entry
    /// once the subscription is active (so no insert falls between the load and the subscription), applies other
    /// processes' inserts as they are announced, and loads again after every reconnection of the subscriber.
    ///
    /// Run it once, for the life of the store (it fits swift-service-lifecycle's `Service.run()`); it returns when
    /// its task is cancelled or the subscriber is shut down, and throws nothing: Redis errors are logged and retried.
    public func run() async throws {
        let subscription = subscriber.subscribe(channels: [configuration.layout.insertsChannel])
        state.withLock { state in
            state.subscription = subscription
            state.loadedGeneration = nil
        }
        defer {
            subscription.cancel()
            state.withLock { $0.subscription = nil }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in subscription.messages {
                    await self.apply(message)
                }
            }
            group.addTask {
                await self.reloadOnReconnection(subscription)
            }
            // Either child ending (cancellation, or the subscriber shut down) ends both.
            await group.next()
            group.cancelAll()
        }
    }

    /// Reads every entry in Redis with `SCAN … MATCH weft:cache:entry:* COUNT 500` and pipelined `HGETALL`s, adds
    /// them to the index, and drops index rows whose entry was not found; returns how many entries it read.
    ///
    /// ``run()`` calls it; call it directly only for a store that does not run.
    /// - Throws: ``CacheError`` `.unavailable` when Redis failed (the index keeps what it had).
    @discardableResult
    public func load() async throws -> Int {
        let before = state.withLock { state in
            state.touchedDuringLoad = []
            return Set(state.known.keys)
        }
        var seen: Set<String> = []
        do {
            try await scan { batch in
                for entry in batch where entry.embedding.count == index.dimensions {
                    seen.insert(entry.id)
                    remember(entry)
                }
            }
        } catch {
            state.withLock { $0.touchedDuringLoad = nil }
            throw error
        }
        // Known before and absent throughout the scan (SCAN returns every key present for its whole duration):
        // expired, evicted, or lost in a Redis restart.
        let stale = state.withLock { state in
            let touched = state.touchedDuringLoad ?? []
            state.touchedDuringLoad = nil
            state.statistics.loadedEntries += seen.count
            state.statistics.loads += 1
            return before.subtracting(seen).subtracting(touched).compactMap { id in
                state.known[id].map { (id, $0.namespaceID) }
            }
        }
        for (id, namespaceID) in stale { forget(id: id, namespaceID: namespaceID) }
        return seen.count
    }

    /// Calls `body` with the decodable entries of each `SCAN` batch.
    func scan(_ body: ([CacheEntry]) throws -> Void) async throws {
        let layout = configuration.layout
        var cursor: [UInt8] = Array("0".utf8)
        repeat {
            let reply = try await read([
                "SCAN", RedisArgument(cursor), "MATCH", RedisArgument(layout.entryPattern), "COUNT",
                RedisArgument(max(1, configuration.scanCount)),
            ])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].bytes, let keys = parts[1].array else {
                throw CacheError(.unavailable, "unexpected SCAN reply: \(reply)")
            }
            cursor = next
            let ids = keys.compactMap { $0.string.flatMap(layout.id(fromEntryKey:)) }
            guard !ids.isEmpty else { continue }
            let replies: [RedisValue]
            do {
                replies = try await client.pipeline(ids.map { ["HGETALL", RedisArgument(layout.entryKey(id: $0))] })
            } catch {
                state.withLock { $0.statistics.failedReads += 1 }
                throw CacheError(.unavailable, "Redis read failed", cause: error)
            }
            try body(zip(ids, replies).compactMap { id, reply in CacheEntryCodec.entry(id: id, from: reply) })
        } while cursor != Array("0".utf8)
    }

    /// Adds an entry announced by another process to the index.
    private func apply(_ message: RedisPubSubMessage) async {
        // The payload is "{entry_id} {instance_id}"; a bare id (another publisher) is applied too.
        let text = message.text
        var id = text
        if let space = text.lastIndex(of: " ") {
            if text[text.index(after: space)...] == instanceID { return }
            id = String(text[..<space])
        }
        guard !id.isEmpty else { return }
        do {
            let reply = try await read(["HGETALL", RedisArgument(configuration.layout.entryKey(id: id))])
            guard let entry = CacheEntryCodec.entry(id: id, from: reply), entry.embedding.count == index.dimensions
            else { return }
            remember(entry)
            state.withLock { $0.statistics.remoteInserts += 1 }
        } catch {
            logger.warning(
                "cannot read an announced cache entry; it joins the index at the next load",
                metadata: ["entry": "\(id)", "error": "\(error)"]
            )
        }
    }

    /// Loads the index whenever the subscription becomes active on a new connection; retries failed loads every
    /// second.
    private func reloadOnReconnection(_ subscription: RedisSubscription) async {
        var loaded: UInt64?
        while !Task.isCancelled {
            if let generation = subscription.activeGeneration, generation != loaded {
                do {
                    let count = try await load()
                    loaded = generation
                    state.withLock { $0.loadedGeneration = generation }
                    logger.info("cache index loaded from Redis", metadata: ["entries": "\(count)"])
                } catch {
                    logger.warning("cannot load the cache index from Redis; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
