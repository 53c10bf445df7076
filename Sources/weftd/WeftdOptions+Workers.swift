import ArgumentParser

/// The remote-worker options of `weftd` (`queue:NAME` tasks); each names its environment variable.
struct WorkerOptions: ParsableArguments {
    @Option(help: "How long a worker's PollActivity waits for an activity before an empty answer (env WEFT_WORKER_POLL_TIMEOUT; default 60s).")
    var workerPollTimeout: String?

    @Option(help: "Fail a queued task no worker took within this long (env WEFT_SCHEDULE_TO_START_TIMEOUT; default off; a task's timeouts.schedule_to_start_ms wins).")
    var scheduleToStartTimeout: String?

    @Option(help: "Activities one worker queue may hold waiting (env WEFT_MAX_QUEUE_PENDING; default 10000).")
    var maxQueuePending: Int?

    @Option(help: "Bytes of a worker heartbeat's details (env WEFT_MAX_HEARTBEAT_DETAILS; default 65536).")
    var maxHeartbeatDetails: Int?

    @Option(help: "With REDIS_URL: connections kept for blocking reads of worker queues, one per queue polled at once on this process (env WEFT_REDIS_QUEUE_CONNECTIONS; default 8).")
    var redisQueueConnections: Int?
}
