import Synchronization

/// The embedded cache store: entries in a dictionary, vectors in a ``VectorIndex``.
///
/// An entry's embedding is kept once, in the index's matrix; the dictionary holds the rest (text, result, times)
/// and entries are reassembled when read. Expired entries are skipped by every read, and removed from both the
/// dictionary and the index by a sweep that runs on insert at most once per `sweepInterval` of cache time.
/// Writes go to the dictionary before the index (and leave the index first), so a concurrent search never returns
/// an id whose entry is missing for more than that instant — and when it does, `nearest` drops it and searches again.
public final class InMemoryCacheStore: CacheStore {
    private struct State {
        var records: [String: CacheEntry] = [:]
        var nextSweep: Int64 = .min
    }

    /// The vector index (exposed for memory and size reporting).
    public let index: VectorIndex
    private let sweepInterval: Int64
    private let state = Mutex(State())

    /// An empty store for `dimensions`-long embeddings; expired entries are swept at most once per
    /// `sweepInterval`.
    public init(dimensions: Int, sweepInterval: Duration = .seconds(60)) {
        self.index = VectorIndex(dimensions: dimensions)
        self.sweepInterval = max(1, sweepInterval.milliseconds)
    }

    /// Inserts `entry`, replacing any with the same id; sweeps expired entries when a sweep is due at
    /// `entry.createdAt`. Throws ``CacheError`` `.invalidEntry` for an embedding of the wrong length.
    public func insert(_ entry: CacheEntry) async throws {
        guard entry.embedding.count == index.dimensions else {
            throw CacheError(
                .invalidEntry,
                "embedding has \(entry.embedding.count) dimensions, the store \(index.dimensions)"
            )
        }
        var record = entry
        record.embedding = []
        let (previous, sweep) = state.withLock { state in
            let previous = state.records.updateValue(record, forKey: entry.id)
            let sweep = entry.createdAt >= state.nextSweep
            if sweep { state.nextSweep = entry.createdAt + sweepInterval }
            return (previous, sweep)
        }
        if let previous, previous.namespace.id != entry.namespace.id {
            index.remove(id: previous.id, namespace: previous.namespace.id)
        }
        index.insert(id: entry.id, vector: entry.embedding, namespace: entry.namespace.id, expiresAt: entry.expiresAt)
        if sweep { removeExpired(now: entry.createdAt) }
    }

    /// The live entry `id`.
    public func entry(id: String, now: Int64) async throws -> CacheEntry? {
        guard let record = state.withLock({ $0.records[id] }), record.isLive(at: now) else { return nil }
        return assemble(record)
    }

    /// The live entry of `namespace` nearest to `embedding`.
    public func nearest(
        to embedding: [Float],
        in namespace: CacheNamespace,
        now: Int64
    ) async throws
        -> CacheCandidate?
    {
        guard embedding.count == index.dimensions else {
            throw CacheError(.invalidEntry, "query has \(embedding.count) dimensions, the store \(index.dimensions)")
        }
        while let match = index.search(embedding, namespace: namespace.id, k: 1, now: now).first {
            if let record = state.withLock({ $0.records[match.id] }), record.isLive(at: now),
                let entry = assemble(record)
            {
                return CacheCandidate(entry: entry, similarity: match.similarity)
            }
            // Removed (or replaced in another namespace) between the search and the read: drop the row, try again.
            if state.withLock({ $0.records[match.id]?.namespace.id }) != namespace.id {
                index.remove(id: match.id, namespace: namespace.id)
            } else {
                return nil
            }
        }
        return nil
    }

    /// Removes entry `id`.
    @discardableResult
    public func remove(id: String) async throws -> Bool {
        guard let record = state.withLock({ $0.records[id] }) else { return false }
        index.remove(id: id, namespace: record.namespace.id)
        return state.withLock { $0.records.removeValue(forKey: id) } != nil
    }

    /// Live entries.
    public func count(now: Int64) async throws -> Int {
        state.withLock { $0.records.values.reduce(0) { $0 + ($1.isLive(at: now) ? 1 : 0) } }
    }

    /// All live entries, with their embeddings.
    public func entries(now: Int64) async throws -> [CacheEntry] {
        let records = state.withLock { Array($0.records.values) }
        return records.filter { $0.isLive(at: now) }.compactMap(assemble)
    }

    /// Removes entries expired at `now` from the dictionary and the index; returns how many.
    @discardableResult
    public func removeExpired(now: Int64) -> Int {
        let expired = index.removeExpired(now: now)
        state.withLock { state in
            for (id, _) in expired where state.records[id].map({ !$0.isLive(at: now) }) ?? false {
                state.records[id] = nil
            }
        }
        return expired.count
    }

    private func assemble(_ record: CacheEntry) -> CacheEntry? {
        guard let vector = index.vector(id: record.id, namespace: record.namespace.id) else { return nil }
        var entry = record
        entry.embedding = vector
        return entry
    }
}
