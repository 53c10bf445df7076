public import WeftEngine
public import WeftMessages
public import WeftRPC

/// Converts between the `weft.v1` messages and the engine's model, in one place (the gRPC services and the Redis
/// stores both use it; the reverse direction, message → model for stored events and specs, is in
/// `WorkflowMapping+Stored.swift`).
///
/// Proto3 zero values mean "the server's default" (a 0 timeout, a 0 max_parallel, an UNSPECIFIED enum); enum
/// values this server does not know are INVALID_ARGUMENT naming the field. Everything else is checked by the
/// engine's validator, whose messages name the task and field.
public enum WorkflowMapping {
    // MARK: Requests

    public static func spec(from request: Weft_V1_SubmitWorkflowRequest) throws -> WorkflowSpec {
        var tasks: [TaskSpec] = []
        tasks.reserveCapacity(request.tasks.count)
        for (position, task) in request.tasks.enumerated() {
            tasks.append(try taskSpec(from: task, position: position))
        }
        return WorkflowSpec(
            description: request.description, requirements: request.requirements, constraints: request.constraints,
            tasks: tasks, options: try options(from: request.options), requestID: request.requestID)
    }

    public static func taskSpec(from task: Weft_V1_TaskSpec, position: Int) throws -> TaskSpec {
        let name = task.id.isEmpty ? "task #\(position)" : "task \"\(task.id)\""
        let complexity: Complexity
        switch task.complexity {
        case .unspecified, .medium: complexity = .medium
        case .simple: complexity = .simple
        case .complex: complexity = .complex
        case .meta: complexity = .meta
        case .unrecognized(let value):
            throw invalid("\(name): complexity \(value) is not a known value")
        }
        return TaskSpec(
            id: task.id, type: task.type, complexity: complexity, description: task.description,
            dependsOn: task.dependsOn, executor: task.executor, input: task.input,
            timeouts: timeouts(from: task.timeouts),
            retryPolicy: task.retryPolicy.map(retryPolicy(from:)),
            cacheable: task.cacheable?.value ?? true)
    }

    public static func options(from options: Weft_V1_ExecutionOptions?) throws -> WorkflowOptions {
        guard let options else { return WorkflowOptions() }
        let mode: SchedulingMode?
        switch options.mode {
        case .unspecified: mode = nil
        case .batch: mode = .batch
        case .eager: mode = .eager
        case .unrecognized(let value): throw invalid("options.mode: \(value) is not a known scheduling mode")
        }
        let failurePolicy: FailurePolicy?
        switch options.failurePolicy {
        case .unspecified: failurePolicy = nil
        case .continue: failurePolicy = .continue
        case .failFast: failurePolicy = .failFast
        case .unrecognized(let value): throw invalid("options.failure_policy: \(value) is not a known policy")
        }
        return WorkflowOptions(
            maxParallel: options.maxParallel == 0 ? nil : Int(options.maxParallel), mode: mode,
            failurePolicy: failurePolicy, retryPolicy: options.retryPolicy.map(retryPolicy(from:)),
            timeouts: timeouts(from: options.timeouts), streamResults: options.streamResults?.value,
            cache: CacheOptions(
                disabled: options.cache?.disabled ?? false,
                reuseThreshold: options.cache?.reuseThreshold?.value,
                similarityThreshold: options.cache?.similarityThreshold?.value))
    }

    public static func timeouts(from timeouts: Weft_V1_Timeouts?) -> ActivityTimeouts {
        ActivityTimeouts(
            startToClose: milliseconds(timeouts?.startToCloseMs), heartbeat: milliseconds(timeouts?.heartbeatMs),
            scheduleToStart: milliseconds(timeouts?.scheduleToStartMs))
    }

    public static func retryPolicy(from policy: Weft_V1_RetryPolicy) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: policy.maxAttempts == 0 ? nil : Int(policy.maxAttempts),
            initialInterval: milliseconds(policy.initialIntervalMs),
            backoffCoefficient: policy.backoffCoefficient == 0 ? nil : policy.backoffCoefficient,
            maxInterval: milliseconds(policy.maxIntervalMs),
            nonRetryableErrorTypes: Set(policy.nonRetryableErrorTypes))
    }

    static func milliseconds(_ value: UInt64?) -> Duration? {
        guard let value, value > 0 else { return nil }
        return .milliseconds(Int64(clamping: value))
    }

    public static func status(from status: Weft_V1_WorkflowStatus) throws -> WorkflowStatus? {
        switch status {
        case .unspecified: nil
        case .pending: .pending
        case .running: .running
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        case .unrecognized(let value): throw invalid("status: \(value) is not a known workflow status")
        }
    }

    private static func invalid(_ message: String) -> RPCError {
        RPCError(code: .invalidArgument, message: message)
    }

    // MARK: Responses and events

    public static func plan(_ plan: [PlannedBatch]) -> [Weft_V1_PlannedBatch] {
        plan.map { batch in
            Weft_V1_PlannedBatch(
                index: UInt32(batch.index),
                tasks: batch.tasks.map { Weft_V1_PlannedTask(taskID: $0.taskID, priority: Int32(clamping: $0.priority)) })
        }
    }

    public static func milliseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    public static func progress(_ progress: Progress) -> Weft_V1_Progress {
        Weft_V1_Progress(
            completed: UInt32(clamping: progress.completed), total: UInt32(clamping: progress.total),
            running: UInt32(clamping: progress.running))
    }

    public static func cacheHit(_ outcome: CacheOutcome) -> Weft_V1_CacheHit {
        switch outcome {
        case .miss: Weft_V1_CacheHit(outcome: .miss)
        case .bypassed: Weft_V1_CacheHit(outcome: .bypassed)
        case .reused(let similarity, let source):
            Weft_V1_CacheHit(outcome: .reused, similarity: similarity, sourceTask: source)
        case .adapted(let similarity, let source):
            Weft_V1_CacheHit(outcome: .adapted, similarity: similarity, sourceTask: source)
        }
    }

    public static func cacheSummary(_ summary: CacheSummary) -> Weft_V1_CacheSummary {
        Weft_V1_CacheSummary(
            reused: UInt32(clamping: summary.reused), adapted: UInt32(clamping: summary.adapted),
            missed: UInt32(clamping: summary.missed), timeSavedMs: milliseconds(summary.timeSaved))
    }

    public static func result(_ result: TaskResult) -> Weft_V1_TaskResult {
        Weft_V1_TaskResult(
            taskID: result.taskID, output: result.output, cache: cacheHit(result.cache),
            attempt: UInt32(clamping: result.attempt), durationMs: milliseconds(result.duration))
    }

    public static func event(_ event: WorkflowEvent) -> Weft_V1_WorkflowEvent {
        var message = Weft_V1_WorkflowEvent(
            sequence: event.sequence, workflowID: event.workflowID, timeUnixMs: event.timeUnixMs,
            progress: progress(event.progress))
        message.payload = payload(event.payload)
        return message
    }

    private static func payload(_ payload: WorkflowEvent.Payload) -> Weft_V1_WorkflowEvent.Payload {
        switch payload {
        case .workflowAccepted(let batches, let taskCount):
            .workflowAccepted(Weft_V1_WorkflowAccepted(plan: plan(batches), taskCount: UInt32(clamping: taskCount)))
        case .batchStarted(let index, let taskIDs):
            .batchStarted(Weft_V1_BatchStarted(index: UInt32(index), taskIds: taskIDs))
        case .taskStarted(let taskID, let attempt, let executor):
            .taskStarted(Weft_V1_TaskStarted(taskID: taskID, attempt: UInt32(clamping: attempt), executor: executor))
        case .taskHeartbeat(let taskID, let attempt, let details):
            .taskHeartbeat(Weft_V1_TaskHeartbeat(taskID: taskID, attempt: UInt32(clamping: attempt), details: details))
        case .taskCompleted(let taskResult):
            .taskCompleted(Weft_V1_TaskCompleted(result: result(taskResult)))
        case .taskFailed(let taskID, let attempt, let error, let errorType, let willRetry, let retryIn):
            .taskFailed(Weft_V1_TaskFailed(
                taskID: taskID, attempt: UInt32(clamping: attempt), error: error, errorType: errorType,
                willRetry: willRetry, retryInMs: milliseconds(retryIn)))
        case .taskSkipped(let taskID, let reason):
            .taskSkipped(Weft_V1_TaskSkipped(taskID: taskID, reason: reason))
        case .batchCompleted(let index, let results):
            .batchCompleted(Weft_V1_BatchCompleted(index: UInt32(index), results: results.map(result)))
        case .workflowCompleted(let duration, let taskTime, let cache):
            .workflowCompleted(Weft_V1_WorkflowCompleted(
                durationMs: milliseconds(duration), taskTimeMs: milliseconds(taskTime), cache: cacheSummary(cache)))
        case .workflowFailed(let error, let failedTasks, let cache):
            .workflowFailed(Weft_V1_WorkflowFailed(error: error, failedTasks: failedTasks, cache: cacheSummary(cache)))
        case .workflowCancelled(let reason):
            .workflowCancelled(Weft_V1_WorkflowCancelled(reason: reason))
        }
    }

    public static func workflowStatus(_ status: WorkflowStatus) -> Weft_V1_WorkflowStatus {
        switch status {
        case .pending: .pending
        case .running: .running
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    public static func taskStatus(_ status: TaskStatus) -> Weft_V1_TaskStatus {
        switch status {
        case .pending: .pending
        case .ready: .ready
        case .running: .running
        case .retrying: .retrying
        case .completed: .completed
        case .failed: .failed
        case .skipped: .skipped
        case .cancelled: .cancelled
        }
    }

    public static func snapshot(_ snapshot: WorkflowSnapshot) -> Weft_V1_GetWorkflowResponse {
        Weft_V1_GetWorkflowResponse(
            workflowID: snapshot.workflowID, status: workflowStatus(snapshot.status), description: snapshot.description,
            progress: progress(snapshot.progress),
            tasks: snapshot.tasks.map(taskState),
            createdUnixMs: snapshot.createdUnixMs, finishedUnixMs: snapshot.finishedUnixMs,
            lastSequence: snapshot.lastSequence, cache: cacheSummary(snapshot.cache))
    }

    public static func taskState(_ task: TaskState) -> Weft_V1_TaskState {
        Weft_V1_TaskState(
            taskID: task.taskID, status: taskStatus(task.status), attempt: UInt32(clamping: task.attempt),
            priority: Int32(clamping: task.priority), output: task.output, error: task.error,
            cache: task.cache.map(cacheHit), startedUnixMs: task.startedUnixMs, finishedUnixMs: task.finishedUnixMs)
    }

    public static func summary(_ summary: WorkflowSummary) -> Weft_V1_WorkflowSummary {
        Weft_V1_WorkflowSummary(
            workflowID: summary.workflowID, status: workflowStatus(summary.status), description: summary.description,
            progress: progress(summary.progress), createdUnixMs: summary.createdUnixMs)
    }

    /// The one place engine errors become gRPC statuses.
    public static func rpcError(_ error: any Error) -> RPCError {
        guard let error = error as? EngineError else { return RPCError(from: error) }
        let code: StatusCode = switch error.code {
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .failedPrecondition: .failedPrecondition
        case .resourceExhausted: .resourceExhausted
        case .unavailable: .unavailable
        case .internal: .internal
        }
        return RPCError(code: code, message: error.message, cause: error)
    }
}
