import ArgumentParser
import WeftServer

extension WeftdConfiguration {
    /// Maps the worker-queue options onto `config.workers`: a flag wins over its variable.
    func applyWorkers(_ workerOptions: WorkerOptions, to config: inout WeftServerConfig) throws {
        var workers = config.workers
        workers.pollTimeout = try duration(workerOptions.workerPollTimeout, "WEFT_WORKER_POLL_TIMEOUT") ?? workers.pollTimeout
        let scheduleToStart = try duration(workerOptions.scheduleToStartTimeout, "WEFT_SCHEDULE_TO_START_TIMEOUT")
        if let scheduleToStart { workers.scheduleToStartTimeout = scheduleToStart > .zero ? scheduleToStart : nil }
        workers.maxPendingPerQueue = try int(workerOptions.maxQueuePending, "WEFT_MAX_QUEUE_PENDING") ?? workers.maxPendingPerQueue
        workers.maxHeartbeatDetailsBytes =
            try int(workerOptions.maxHeartbeatDetails, "WEFT_MAX_HEARTBEAT_DETAILS") ?? workers.maxHeartbeatDetailsBytes
        if workers.pollTimeout <= .zero { throw ValidationError("WEFT_WORKER_POLL_TIMEOUT must be positive") }
        if workers.maxPendingPerQueue < 1 { throw ValidationError("WEFT_MAX_QUEUE_PENDING must be at least 1") }
        if workers.maxHeartbeatDetailsBytes < 0 { throw ValidationError("WEFT_MAX_HEARTBEAT_DETAILS must not be negative") }
        config.workers = workers
        config.redisQueueFetchConnections =
            try int(workerOptions.redisQueueConnections, "WEFT_REDIS_QUEUE_CONNECTIONS") ?? config.redisQueueFetchConnections
        if config.redisQueueFetchConnections < 1 {
            throw ValidationError("WEFT_REDIS_QUEUE_CONNECTIONS must be at least 1")
        }
    }
}
