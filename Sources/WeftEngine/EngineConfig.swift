/// Engine settings with the original platform's defaults and environment variable names.
public struct EngineConfig: Sendable {
    /// `MAX_PARALLEL_TASKS`: tasks of one workflow running at once (the batch size in BATCH mode). Default 5.
    public var maxParallel: Int = 5
    /// Scheduling mode when a workflow names none. Default EAGER.
    public var defaultMode: SchedulingMode = .eager
    /// Failure policy when a workflow names none. Default CONTINUE.
    public var defaultFailurePolicy: FailurePolicy = .continue
    /// `ACTIVITY_TIMEOUT`: start-to-close for SIMPLE and MEDIUM tasks. Default 20 minutes.
    public var activityTimeout: Duration = .seconds(20 * 60)
    /// `LONG_ACTIVITY_TIMEOUT`: start-to-close for COMPLEX and META tasks. Default 90 minutes.
    public var longActivityTimeout: Duration = .seconds(90 * 60)
    /// `HEARTBEAT_TIMEOUT`: an attempt that does not heartbeat for this long is failed. Default 10 minutes.
    public var heartbeatTimeout: Duration = .seconds(10 * 60)
    /// Retry defaults: 3 attempts, 1 s initial interval, ×2 backoff, 100 s maximum interval.
    public var maxAttempts: Int = 3
    public var initialRetryInterval: Duration = .seconds(1)
    public var backoffCoefficient: Double = 2
    public var maxRetryInterval: Duration = .seconds(100)
    /// `ENABLE_RESULT_STREAMING`: result payloads in events (status only when false). Default true.
    public var streamResults = true
    /// `STREAM_BATCH_RESULTS`: BATCH mode sends a batch-completed event with all of the batch's results. Default true.
    public var streamBatchResults = true
    /// Executor used by tasks that name none. Default `sim`.
    public var defaultExecutor = "sim"
    /// Priority weights (the original platform's scoring).
    public var priority = PriorityWeights()
    /// Submission limits.
    public var limits = EngineLimits()
    /// Finished workflows are kept this long, and at most `retainedWorkflows` of them. Defaults 1 hour, 1000.
    public var retention: Duration = .seconds(3600)
    public var retainedWorkflows: Int = 1000
    /// Events a watcher may fall behind before its stream is ended (RESOURCE_EXHAUSTED). Default 10,000.
    public var watcherBufferLimit: Int = 10_000
    /// Heartbeat events are sent at most this often per task. Default 1 s.
    public var heartbeatEventInterval: Duration = .seconds(1)

    public init() {}

    public static var defaults: EngineConfig { EngineConfig() }
}

/// Explicit limits on what a submission may contain; each violation is INVALID_ARGUMENT naming the limit.
public struct EngineLimits: Sendable, Hashable {
    /// Tasks per workflow, including META expansions. Default 10,000.
    public var maxTasks: Int = 10_000
    /// Bytes of a task id. Default 128.
    public var maxTaskIDLength: Int = 128
    /// Bytes of a task or workflow description. Default 16 KiB.
    public var maxDescriptionLength: Int = 16 * 1024
    /// Bytes of a task type. Default 128.
    public var maxTypeLength: Int = 128
    /// Bytes of a task's input. Default 1 MiB.
    public var maxInputLength: Int = 1024 * 1024
    /// Dependencies of one task. Default 1,000.
    public var maxDependencies: Int = 1000
    /// Constraint entries and bytes of each key or value. Defaults 64 and 1 KiB.
    public var maxConstraints: Int = 64
    public var maxConstraintLength: Int = 1024
    /// Largest `max_parallel` a workflow may ask for. Default 1,000.
    public var maxParallel: Int = 1000
    /// Bytes of a request id. Default 256.
    public var maxRequestIDLength: Int = 256

    public init() {}
}

/// The original platform's priority scoring: complexity points, type points by case-insensitive keyword, and
/// points per direct dependent up to a cap. Ties keep submission order.
public struct PriorityWeights: Sendable, Hashable {
    public var simple = 10
    public var medium = 20
    public var complex = 30
    public var meta = 40
    /// Keyword rules on the task type, first match wins; a type matches a rule when one of its words
    /// (split on anything that is not a letter or digit, lower-cased) is one of the rule's keywords.
    public var typeRules: [TypeRule] = [
        TypeRule(keywords: ["security", "auth", "authentication", "authorization"], points: 15),
        TypeRule(keywords: ["database", "db", "schema"], points: 12),
        TypeRule(keywords: ["api"], points: 8),
        TypeRule(keywords: ["test", "tests", "testing"], points: -5),
    ]
    public var perDependent = 2
    public var maxDependentPoints = 10

    public struct TypeRule: Sendable, Hashable {
        public var keywords: Set<String>
        public var points: Int

        public init(keywords: Set<String>, points: Int) {
            self.keywords = keywords
            self.points = points
        }
    }

    public init() {}

    public func points(for complexity: Complexity) -> Int {
        switch complexity {
        case .simple: simple
        case .medium: medium
        case .complex: complex
        case .meta: meta
        }
    }
}
