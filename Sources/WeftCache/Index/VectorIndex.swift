import Synchronization

/// Exact nearest-neighbour search by dot product over Float32 vectors, one matrix per namespace.
///
/// Each namespace is a separate partition: a search scans only its own namespace's rows, so the namespace filter
/// is part of the search. A partition's rows live in contiguous row-major Float32 blocks of up to 4096 rows (6 MiB at
/// 384 dimensions), each row padded to a multiple of 8 floats and 64-byte aligned; the last block grows
/// geometrically, so an insert never copies more than one block and the whole matrix is never rebuilt. Removal
/// swaps the last row into the hole (an `id → row` map keeps track). Every row also records an expiry (Unix ms):
/// searches skip rows with `expiresAt <= now`, so an expired vector never wins over a live one.
///
/// Concurrency: a `Mutex` guards only the namespace map (held for a dictionary access); each partition has a
/// reader-writer lock. Searches take it shared, so lookups never wait for each other, only for an insert or
/// removal in the same namespace (held for one row copy — or one block growth); writers prefer over readers on
/// glibc, so searches cannot starve inserts.
///
/// Memory: `dimensions × 4` bytes per row (1536 at 384) plus the id (two references to one string), the expiry
/// and the id map — ``bytesPerEntry`` reports the measured total including block slack.
public final class VectorIndex: Sendable {
    /// One search result.
    public struct Match: Sendable, Hashable {
        /// The row's id.
        public var id: String
        /// The raw Float32 dot product.
        public var score: Float

        /// Creates a match.
        public init(id: String, score: Float) {
            self.id = id
            self.score = score
        }

        /// The score on the ``Similarity`` scale.
        public var similarity: Double { Similarity.widen(score) }
    }

    /// The length of every vector.
    public let dimensions: Int
    private let partitions = Mutex<[String: Partition]>([:])

    /// An empty index of `dimensions`-long vectors.
    public init(dimensions: Int) {
        precondition(dimensions > 0, "dimensions must be positive")
        self.dimensions = dimensions
    }

    /// Inserts `vector` under `id` in `namespace`, replacing the row of an existing `id` there in place.
    public func insert(id: String, vector: [Float], namespace: String, expiresAt: Int64 = .max) {
        precondition(vector.count == dimensions, "vector has \(vector.count) dimensions, index has \(dimensions)")
        while true {
            let partition = partitions.withLock { map in
                if let existing = map[namespace] { return existing }
                let created = Partition(dimensions: dimensions)
                map[namespace] = created
                return created
            }
            if partition.insert(id: id, vector: vector, expiresAt: expiresAt) { return }
            // The partition was retired (emptied and dropped) between the map lookup and the insert: look again.
        }
    }

    /// Removes `id` from `namespace`; returns whether it was there.
    @discardableResult
    public func remove(id: String, namespace: String) -> Bool {
        guard let partition = partitions.withLock({ $0[namespace] }) else { return false }
        let (removed, empty) = partition.remove(id: id)
        if empty { retireIfEmpty(namespace) }
        return removed
    }

    /// The `k` rows of `namespace` with the highest dot product with `query` among those live at `now`
    /// (`expiresAt > now`), best first; ties keep insertion order.
    public func search(_ query: [Float], namespace: String, k: Int = 1, now: Int64 = .min) -> [Match] {
        precondition(query.count == dimensions, "query has \(query.count) dimensions, index has \(dimensions)")
        guard k > 0, let partition = partitions.withLock({ $0[namespace] }) else { return [] }
        return partition.search(query, k: k, now: now)
    }

    /// The stored vector of `id` in `namespace`.
    public func vector(id: String, namespace: String) -> [Float]? {
        partitions.withLock { $0[namespace] }?.vector(id: id)
    }

    /// Removes every row with `expiresAt <= now`; returns their ids and namespaces.
    @discardableResult
    public func removeExpired(now: Int64) -> [(id: String, namespace: String)] {
        let all = partitions.withLock { Array($0) }
        var removed: [(id: String, namespace: String)] = []
        for (namespace, partition) in all {
            let (ids, empty) = partition.removeExpired(now: now)
            removed += ids.map { ($0, namespace) }
            if empty { retireIfEmpty(namespace) }
        }
        return removed
    }

    /// Rows in all namespaces (expired rows not yet removed included).
    public var count: Int { partitions.withLock { Array($0.values) }.reduce(0) { $0 + $1.count } }

    /// Rows in `namespace`.
    public func count(namespace: String) -> Int { partitions.withLock { $0[namespace] }?.count ?? 0 }

    /// The namespaces that have rows.
    public var namespaces: [String] { partitions.withLock { Array($0.keys) } }

    /// Bytes held by the index: vector blocks (with their slack), ids, expiries and id maps.
    public var memoryFootprint: Int { partitions.withLock { Array($0.values) }.reduce(0) { $0 + $1.memoryFootprint } }

    /// ``memoryFootprint`` divided by ``count`` (0 when empty).
    public var bytesPerEntry: Double {
        let rows = count
        return rows == 0 ? 0 : Double(memoryFootprint) / Double(rows)
    }

    private func retireIfEmpty(_ namespace: String) {
        partitions.withLock { map in
            if let partition = map[namespace], partition.retireIfEmpty() { map[namespace] = nil }
        }
    }
}
