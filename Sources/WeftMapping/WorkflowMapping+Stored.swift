public import WeftEngine
public import WeftMessages
import WeftRPC

/// The reverse mappings that stored state needs: a spec back to the request that carries it (the durable form of an
/// accepted workflow), stored events and task states back to the engine's model.
extension WorkflowMapping {
    // MARK: Spec → request (what is stored), and back with `spec(from:)`

    public static func request(from spec: WorkflowSpec) -> Weft_V1_SubmitWorkflowRequest {
        Weft_V1_SubmitWorkflowRequest(
            description: spec.description, requirements: spec.requirements, constraints: spec.constraints,
            tasks: spec.tasks.map(taskSpec), options: options(spec.options), requestID: spec.requestID)
    }

    public static func taskSpec(_ task: TaskSpec) -> Weft_V1_TaskSpec {
        Weft_V1_TaskSpec(
            id: task.id, type: task.type, complexity: complexity(task.complexity), description: task.description,
            dependsOn: task.dependsOn, executor: task.executor, input: task.input, timeouts: timeouts(task.timeouts),
            retryPolicy: task.retryPolicy.map(retryPolicy), cacheable: Google_Protobuf_BoolValue(value: task.cacheable))
    }

    static func complexity(_ complexity: Complexity) -> Weft_V1_Complexity {
        switch complexity {
        case .simple: .simple
        case .medium: .medium
        case .complex: .complex
        case .meta: .meta
        }
    }

    static func options(_ options: WorkflowOptions) -> Weft_V1_ExecutionOptions {
        let mode: Weft_V1_SchedulingMode = switch options.mode {
        case nil: .unspecified
        case .batch: .batch
        case .eager: .eager
        }
        let failurePolicy: Weft_V1_FailurePolicy = switch options.failurePolicy {
        case nil: .unspecified
        case .continue: .continue
        case .failFast: .failFast
        }
        return Weft_V1_ExecutionOptions(
            maxParallel: UInt32(clamping: options.maxParallel ?? 0), mode: mode, failurePolicy: failurePolicy,
            retryPolicy: options.retryPolicy.map(retryPolicy), timeouts: timeouts(options.timeouts),
            cache: Weft_V1_CacheOptions(
                disabled: options.cache.disabled,
                reuseThreshold: options.cache.reuseThreshold.map { Google_Protobuf_DoubleValue(value: $0) },
                similarityThreshold: options.cache.similarityThreshold.map { Google_Protobuf_DoubleValue(value: $0) }),
            streamResults: options.streamResults.map { Google_Protobuf_BoolValue(value: $0) })
    }

    static func timeouts(_ timeouts: ActivityTimeouts) -> Weft_V1_Timeouts {
        Weft_V1_Timeouts(
            startToCloseMs: timeouts.startToClose.map(milliseconds) ?? 0,
            heartbeatMs: timeouts.heartbeat.map(milliseconds) ?? 0,
            scheduleToStartMs: timeouts.scheduleToStart.map(milliseconds) ?? 0)
    }

    static func retryPolicy(_ policy: RetryPolicy) -> Weft_V1_RetryPolicy {
        Weft_V1_RetryPolicy(
            maxAttempts: UInt32(clamping: policy.maxAttempts ?? 0),
            initialIntervalMs: policy.initialInterval.map(milliseconds) ?? 0,
            backoffCoefficient: policy.backoffCoefficient ?? 0, maxIntervalMs: policy.maxInterval.map(milliseconds) ?? 0,
            nonRetryableErrorTypes: policy.nonRetryableErrorTypes.sorted())
    }

    // MARK: Stored events and task states → model

    /// A stored event; throws INTERNAL (naming the sequence) when it has no payload this server knows.
    public static func event(from message: Weft_V1_WorkflowEvent) throws -> WorkflowEvent {
        guard let payload = try message.payload.map(payload(from:)) else {
            throw RPCError(code: .internal, message: "stored event \(message.sequence) has no payload")
        }
        return WorkflowEvent(
            sequence: message.sequence, workflowID: message.workflowID, timeUnixMs: message.timeUnixMs,
            progress: progress(from: message.progress), payload: payload)
    }

    static func progress(from progress: Weft_V1_Progress?) -> Progress {
        Progress(
            completed: Int(progress?.completed ?? 0), total: Int(progress?.total ?? 0),
            running: Int(progress?.running ?? 0))
    }

    static func duration(_ milliseconds: UInt64) -> Duration {
        .milliseconds(Int64(clamping: milliseconds))
    }

    static func cacheOutcome(from hit: Weft_V1_CacheHit?) -> CacheOutcome? {
        guard let hit else { return nil }
        switch hit.outcome {
        case .miss: return .miss
        case .reused: return .reused(similarity: hit.similarity, source: hit.sourceTask)
        case .adapted: return .adapted(similarity: hit.similarity, source: hit.sourceTask)
        case .bypassed, .unspecified, .unrecognized: return .bypassed
        }
    }

    static func cacheSummary(from summary: Weft_V1_CacheSummary?) -> CacheSummary {
        var result = CacheSummary()
        result.reused = Int(summary?.reused ?? 0)
        result.adapted = Int(summary?.adapted ?? 0)
        result.missed = Int(summary?.missed ?? 0)
        result.timeSaved = duration(summary?.timeSavedMs ?? 0)
        return result
    }

    public static func result(from result: Weft_V1_TaskResult?) -> TaskResult {
        TaskResult(
            taskID: result?.taskID ?? "", output: result?.output ?? "",
            cache: cacheOutcome(from: result?.cache) ?? .bypassed, attempt: Int(result?.attempt ?? 0),
            duration: duration(result?.durationMs ?? 0))
    }

    private static func payload(from payload: Weft_V1_WorkflowEvent.Payload) throws -> WorkflowEvent.Payload {
        switch payload {
        case .workflowAccepted(let accepted):
            let plan = accepted.plan.map { batch in
                PlannedBatch(
                    index: Int(batch.index),
                    tasks: batch.tasks.map { PlannedTask(taskID: $0.taskID, priority: Int($0.priority)) })
            }
            return .workflowAccepted(plan: plan, taskCount: Int(accepted.taskCount))
        case .batchStarted(let batch):
            return .batchStarted(index: Int(batch.index), taskIDs: batch.taskIds)
        case .taskStarted(let started):
            return .taskStarted(taskID: started.taskID, attempt: Int(started.attempt), executor: started.executor)
        case .taskHeartbeat(let heartbeat):
            return .taskHeartbeat(taskID: heartbeat.taskID, attempt: Int(heartbeat.attempt), details: heartbeat.details)
        case .taskCompleted(let completed):
            return .taskCompleted(result(from: completed.result))
        case .taskFailed(let failed):
            return .taskFailed(
                taskID: failed.taskID, attempt: Int(failed.attempt), error: failed.error, errorType: failed.errorType,
                willRetry: failed.willRetry, retryIn: duration(failed.retryInMs))
        case .taskSkipped(let skipped):
            return .taskSkipped(taskID: skipped.taskID, reason: skipped.reason)
        case .batchCompleted(let batch):
            return .batchCompleted(index: Int(batch.index), results: batch.results.map { result(from: $0) })
        case .workflowCompleted(let completed):
            return .workflowCompleted(
                duration: duration(completed.durationMs), taskTime: duration(completed.taskTimeMs),
                cache: cacheSummary(from: completed.cache))
        case .workflowFailed(let failed):
            return .workflowFailed(
                error: failed.error, failedTasks: failed.failedTasks, cache: cacheSummary(from: failed.cache))
        case .workflowCancelled(let cancelled):
            return .workflowCancelled(reason: cancelled.reason)
        }
    }

    /// A stored task state; an unknown status reads as PENDING (the task runs again).
    public static func taskState(from message: Weft_V1_TaskState) -> TaskState {
        let status: TaskStatus = switch message.status {
        case .ready: .ready
        case .running: .running
        case .retrying: .retrying
        case .completed: .completed
        case .failed: .failed
        case .skipped: .skipped
        case .cancelled: .cancelled
        case .pending, .unspecified, .unrecognized: .pending
        }
        var task = TaskState(
            taskID: message.taskID, status: status, attempt: Int(message.attempt), priority: Int(message.priority))
        task.output = message.output
        task.error = message.error
        task.cache = cacheOutcome(from: message.cache)
        task.startedUnixMs = message.startedUnixMs
        task.finishedUnixMs = message.finishedUnixMs
        return task
    }
}
