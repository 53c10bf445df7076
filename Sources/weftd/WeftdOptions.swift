import ArgumentParser

/// The command-line options of `weftd`; each names its environment variable.
struct WeftdOptions: ParsableArguments {
    @Option(help: "Address to listen on, HOST:PORT (env WEFT_LISTEN; default 127.0.0.1:50051). Port 0 picks one.")
    var listen: String?

    @Option(help: "Write the bound port to this file once the server accepts connections.")
    var portFile: String?

    @Option(help: "Event-loop threads (env WEFT_THREADS; default: one per CPU in the process affinity mask).")
    var threads: Int?

    @Option(help: "Largest request message in bytes (env WEFT_MAX_MESSAGE_SIZE; default 4194304).")
    var maxMessageSize: Int?

    @Option(help: "SETTINGS_MAX_CONCURRENT_STREAMS per connection (env WEFT_MAX_CONCURRENT_STREAMS; default 1000).")
    var maxConcurrentStreams: Int?

    @Option(help: "Largest request header list in bytes (env WEFT_MAX_HEADER_LIST_SIZE; default 16384).")
    var maxHeaderListSize: Int?

    @Option(help: "Seconds to keep serving with health NOT_SERVING after SIGTERM (env WEFT_DRAIN_DELAY; default 0).")
    var drainDelay: String?

    @Option(help: "Seconds in-flight calls may run after the final GOAWAY (env WEFT_DRAIN_GRACE; default 30).")
    var drainGrace: String?

    @Flag(help: "Serve weft.testing.v1.TestService (env WEFT_ENABLE_TEST_SERVICE=true).")
    var enableTestService = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env WEFT_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(help: "Tasks of one workflow running at once (env MAX_PARALLEL_TASKS; default 5).")
    var maxParallel: Int?

    @Option(help: "Scheduling mode when a workflow names none: BATCH or EAGER (env WEFT_SCHEDULING_MODE; default EAGER).")
    var schedulingMode: String?

    @Option(help: "Start-to-close timeout of SIMPLE/MEDIUM tasks (env ACTIVITY_TIMEOUT; seconds or 500ms/20m/1h; default 20m).")
    var activityTimeout: String?

    @Option(help: "Start-to-close timeout of COMPLEX/META tasks (env LONG_ACTIVITY_TIMEOUT; default 90m).")
    var longActivityTimeout: String?

    @Option(help: "Heartbeat timeout of every activity (env HEARTBEAT_TIMEOUT; default 10m).")
    var heartbeatTimeout: String?

    @Option(help: "Attempts per task including the first (env WEFT_MAX_ATTEMPTS; default 3).")
    var maxAttempts: Int?

    @Option(help: "Result payloads in events: true or false (env ENABLE_RESULT_STREAMING; default true).")
    var resultStreaming: String?

    @Option(help: "Batch-completed events with all of a batch's results: true or false (env STREAM_BATCH_RESULTS; default true).")
    var streamBatchResults: String?

    @Option(help: "Tasks per workflow, META expansions included (env WEFT_MAX_TASKS; default 10000).")
    var maxTasks: Int?

    @Option(help: "How long finished workflows are kept (env WEFT_RETENTION; default 1h).")
    var retention: String?

    @Option(help: "How many finished workflows are kept at most (env WEFT_RETAINED_WORKFLOWS; default 1000).")
    var retainedWorkflows: Int?

    @Option(help: "JSON file of the operator's exec:NAME commands (env WEFT_EXEC_CONFIG; default none).")
    var execConfig: String?

    @Option(help: "Semantic result cache: true or false (env WEFT_CACHE; default true).")
    var cache: String?

    @Option(help: "Similarity at or above which a cached result is reused (env CACHE_REUSE_THRESHOLD; default 0.95).")
    var cacheReuseThreshold: Double?

    @Option(help: "Similarity at or above which a cached result is adapted (env CACHE_SIMILARITY_THRESHOLD; default 0.85).")
    var cacheSimilarityThreshold: Double?

    @Option(help: "Cache entry lifetime (env CACHE_TTL; seconds or 30m/1h; default 3600).")
    var cacheTtl: String?

    @Option(help: "OpenAI-compatible embeddings endpoint, e.g. http://127.0.0.1:8080 (env WEFT_EMBEDDER_URL; default: built-in).")
    var embedderUrl: String?

    @Option(help: "Model name sent to the embeddings endpoint (env WEFT_EMBEDDER_MODEL; default text-embedding-3-small).")
    var embedderModel: String?

    @Option(help: "Dimensions of the endpoint's vectors (env WEFT_EMBEDDER_DIMENSIONS; default 384).")
    var embedderDimensions: Int?

    @Option(help: "Timeout of one embeddings call (env WEFT_EMBEDDER_TIMEOUT; default 2s).")
    var embedderTimeout: String?

    @Option(help: "Redis for workflow events, state and the cache, redis://[:password@]host:port[/db] (env REDIS_URL; default: in memory).")
    var redisUrl: String?

    @Option(help: "Redis mode: approximate cap on a workflow stream's entries (env WEFT_REDIS_STREAM_MAX_LENGTH; default 100000).")
    var redisStreamMaxLength: Int?

    @Option(help: "Redis mode: event writes buffered while Redis is unreachable before workflows wait (env WEFT_REDIS_WRITE_BUFFER; default 10000).")
    var redisWriteBuffer: Int?
}
