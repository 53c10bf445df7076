/// How ready tasks are started.
public enum SchedulingMode: String, Sendable, Hashable, CaseIterable {
    /// The original platform's algorithm: the ready set ordered by priority, cut into batches of at most
    /// `maxParallel`; the next batch starts when the whole batch is done.
    case batch = "BATCH"
    /// A task starts as soon as its dependencies are done and a slot is free, highest priority first.
    case eager = "EAGER"
}

/// What happens to the rest of a workflow when a task fails for good.
public enum FailurePolicy: String, Sendable, Hashable, CaseIterable {
    /// Dependents of the failed task are skipped; independent branches go on.
    case `continue` = "CONTINUE"
    /// The workflow stops at the first final failure: running tasks are cancelled, pending ones cancelled.
    case failFast = "FAIL_FAST"
}

/// Per-workflow options; `nil` takes the engine's default.
public struct WorkflowOptions: Sendable, Hashable {
    public var maxParallel: Int?
    public var mode: SchedulingMode?
    public var failurePolicy: FailurePolicy?
    public var retryPolicy: RetryPolicy?
    public var timeouts: ActivityTimeouts
    /// Include result payloads in events (`ENABLE_RESULT_STREAMING`).
    public var streamResults: Bool?
    public var cache: CacheOptions

    public init(
        maxParallel: Int? = nil, mode: SchedulingMode? = nil, failurePolicy: FailurePolicy? = nil,
        retryPolicy: RetryPolicy? = nil, timeouts: ActivityTimeouts = ActivityTimeouts(), streamResults: Bool? = nil,
        cache: CacheOptions = CacheOptions()
    ) {
        self.maxParallel = maxParallel
        self.mode = mode
        self.failurePolicy = failurePolicy
        self.retryPolicy = retryPolicy
        self.timeouts = timeouts
        self.streamResults = streamResults
        self.cache = cache
    }
}

/// Semantic-cache settings of a workflow (used once the cache exists).
public struct CacheOptions: Sendable, Hashable {
    public var disabled: Bool
    public var reuseThreshold: Double?
    public var similarityThreshold: Double?

    public init(disabled: Bool = false, reuseThreshold: Double? = nil, similarityThreshold: Double? = nil) {
        self.disabled = disabled
        self.reuseThreshold = reuseThreshold
        self.similarityThreshold = similarityThreshold
    }
}

/// A workflow as submitted: what the original platform's users send plus the task DAG.
public struct WorkflowSpec: Sendable, Hashable {
    public var description: String
    public var requirements: String
    /// E.g. language and framework.
    public var constraints: [String: String]
    public var tasks: [TaskSpec]
    public var options: WorkflowOptions
    /// Idempotency key: a resubmission with the same key returns the same workflow.
    public var requestID: String

    public init(
        description: String = "", requirements: String = "", constraints: [String: String] = [:],
        tasks: [TaskSpec], options: WorkflowOptions = WorkflowOptions(), requestID: String = ""
    ) {
        self.description = description
        self.requirements = requirements
        self.constraints = constraints
        self.tasks = tasks
        self.options = options
        self.requestID = requestID
    }
}
