/// The engine's view of the semantic result cache: asked before a task runs, told when it succeeded.
///
/// The engine knows no embeddings or stores; `WeftServer` adapts `WeftCache.SemanticCache` (in memory or
/// Redis-fronted) to this protocol. An implementation never throws: a cache that cannot answer is a miss.
public protocol ResultCache: Sendable {
    /// Looks for an earlier successful result of a task like `task` in the same namespace (the workflow's
    /// constraints and the task's executor). `thresholds` are the workflow's overrides (nil: the cache's own).
    func lookup(task: TaskSpec, constraints: [String: String], reuseThreshold: Double?, similarityThreshold: Double?)
        async -> ResultCacheLookup

    /// Stores a successful result; `lookup` is what `lookup(...)` returned for this task (it may carry the
    /// embedding, so the text is not embedded twice).
    func store(_ output: String, for lookup: ResultCacheLookup, source: String, duration: Duration) async
}

/// What the cache said about one task.
public struct ResultCacheLookup: Sendable {
    public enum Decision: Sendable {
        /// Complete the task with `output` without running it.
        case reuse(output: String, similarity: Double, source: String, originalDuration: Duration)
        /// Run the task with `reference` as its starting point.
        case adapt(reference: TaskResult, similarity: Double, source: String, originalDuration: Duration)
        case miss
    }

    public var decision: Decision
    /// Whatever the implementation needs back in ``ResultCache/store(_:for:source:duration:)``.
    public var token: (any Sendable)?

    public init(decision: Decision, token: (any Sendable)? = nil) {
        self.decision = decision
        self.token = token
    }
}
