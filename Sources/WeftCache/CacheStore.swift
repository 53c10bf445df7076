/// Where cache entries live: in memory (``InMemoryCacheStore``, the embedded default) or in Redis (`WeftRedis`).
///
/// Times (`now`) are Unix milliseconds from the cache's clock; a store must never return an entry with
/// `expiresAt <= now`, whatever its own expiry mechanism (Redis TTLs, lazy sweeping) has done so far.
///
/// A Redis-backed store implements this by keeping an in-process ``VectorIndex`` in step with Redis: it loads the
/// entries at start, applies other processes' inserts and removals as they are announced, and in ``nearest(to:in:now:)``
/// validates the index's best row against Redis, dropping it from the index and searching again when its key is gone.
/// Errors thrown by a store are turned into a miss (or a skipped store) and a warning by ``SemanticCache``; they never
/// fail a task.
public protocol CacheStore: Sendable {
    /// Inserts `entry`, replacing any entry with the same `id`.
    func insert(_ entry: CacheEntry) async throws

    /// The live entry whose `id` is `id` (the exact key), or `nil`.
    func entry(id: String, now: Int64) async throws -> CacheEntry?

    /// The live entry of `namespace` whose embedding has the highest dot product with `embedding` (both
    /// L2-normalized, so that is their cosine similarity), or `nil` when the namespace has none.
    ///
    /// The namespace filter is part of the search (each namespace has its own index), never applied to the results
    /// of a global search.
    func nearest(to embedding: [Float], in namespace: CacheNamespace, now: Int64) async throws -> CacheCandidate?

    /// Removes the entry whose `id` is `id`; returns whether there was one.
    @discardableResult
    func remove(id: String) async throws -> Bool

    /// The number of live entries.
    func count(now: Int64) async throws -> Int

    /// All live entries (for inspection, export and tests; not for the lookup path).
    func entries(now: Int64) async throws -> [CacheEntry]
}
