/// What the engine knows about a task when it asks the cache: the parts of the cache text and of the namespace.
public struct CacheQuery: Sendable, Hashable {
    /// The task's free-text type (`"api"`, `"database"`, …).
    public var type: String
    /// The complexity's name (`"SIMPLE"`, `"MEDIUM"`, `"COMPLEX"`, `"META"`).
    public var complexity: String
    /// The task's description.
    public var description: String
    /// The workflow's constraints (`language`, `framework`, …).
    public var constraints: [String: String]
    /// The resolved executor name (`"sim"`, `"exec:NAME"`, `"queue:NAME"`).
    public var executor: String

    /// Creates a query.
    public init(
        type: String,
        complexity: String,
        description: String,
        constraints: [String: String] = [:],
        executor: String
    ) {
        self.type = type
        self.complexity = complexity
        self.description = description
        self.constraints = constraints
        self.executor = executor
    }
}

/// Where a task's result lives in the cache: its normalized text and its namespace.
public struct CacheKey: Sendable, Hashable {
    /// The normalized cache text and its hash.
    public var text: CacheText
    /// The namespace (constraints, executor, model id).
    public var namespace: CacheNamespace

    /// Creates a key.
    public init(text: CacheText, namespace: CacheNamespace) {
        self.text = text
        self.namespace = namespace
    }

    /// The exact key and entry id: `"{namespace.id}:{text.hash}"`.
    public var id: String { "\(namespace.id):\(text.hash)" }
}

/// The answer to ``SemanticCache/lookup(_:thresholds:)``: the decision and what is needed to store the task's
/// result afterwards without embedding its text again.
public struct CacheLookup: Sendable {
    /// Reuse, adapt or miss.
    public var decision: CacheDecision
    /// The task's key.
    public var key: CacheKey
    /// The task's embedding when the lookup computed one (`nil` after an exact hit or an embedder failure).
    public var embedding: [Float]?

    /// Creates a lookup answer.
    public init(decision: CacheDecision, key: CacheKey, embedding: [Float]?) {
        self.decision = decision
        self.key = key
        self.embedding = embedding
    }
}
