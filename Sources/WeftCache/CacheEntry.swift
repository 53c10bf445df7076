/// One cached result: what a successful task produced, under the key it was produced for.
///
/// `id` is the exact key, ``CacheKey/id`` (`"{namespace.id}:{textHash}"`): one entry per normalized text per
/// namespace, so storing the same text again replaces the entry (and restarts its TTL). Times are milliseconds since
/// the Unix epoch so that entries written by one process can be judged by another (the Redis store shares them).
/// An entry is live while `now < expiresAt`; it is never served at or after `expiresAt`.
public struct CacheEntry: Sendable, Hashable {
    /// The exact key: `"{namespace.id}:{textHash}"`.
    public var id: String
    /// The namespace the entry was stored in; a lookup only ever sees entries of its own namespace.
    public var namespace: CacheNamespace
    /// Hex SHA-256 of the normalized cache text (``CacheText/hash``).
    public var textHash: String
    /// The normalized cache text (``CacheText/normalized``), kept for inspection and re-embedding.
    public var text: String
    /// The L2-normalized embedding of `text` by the embedder named `modelID`.
    public var embedding: [Float]
    /// The task's successful result, as the executor returned it.
    public var result: String
    /// Where the result came from: `"{workflow_id}/{task_id}"`.
    public var source: String
    /// How long the original run took: what a reuse saves.
    public var originalDuration: Duration
    /// Insertion time, Unix milliseconds.
    public var createdAt: Int64
    /// Expiry time, Unix milliseconds (absolute: `createdAt + CACHE_TTL`, never refreshed by hits).
    public var expiresAt: Int64
    /// The embedder's model id (``Embedder/modelID``); also part of the namespace.
    public var modelID: String

    /// Creates an entry; ``SemanticCache/store(_:for:source:originalDuration:)`` is the usual way to make one.
    public init(
        id: String,
        namespace: CacheNamespace,
        textHash: String,
        text: String,
        embedding: [Float],
        result: String,
        source: String,
        originalDuration: Duration,
        createdAt: Int64,
        expiresAt: Int64,
        modelID: String
    ) {
        self.id = id
        self.namespace = namespace
        self.textHash = textHash
        self.text = text
        self.embedding = embedding
        self.result = result
        self.source = source
        self.originalDuration = originalDuration
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.modelID = modelID
    }

    /// Whether the entry may be served at `now` (Unix milliseconds): `now < expiresAt`.
    public func isLive(at now: Int64) -> Bool { now < expiresAt }
}

/// An entry found by a nearest-neighbour search, with its similarity to the query.
public struct CacheCandidate: Sendable, Hashable {
    /// The entry (live and present in the store when returned).
    public var entry: CacheEntry
    /// Cosine similarity in [−1, 1] (see ``Similarity``).
    public var similarity: Double

    /// Creates a candidate.
    public init(entry: CacheEntry, similarity: Double) {
        self.entry = entry
        self.similarity = similarity
    }
}
