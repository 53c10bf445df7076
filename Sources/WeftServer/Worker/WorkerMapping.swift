import WeftEngine
import WeftMapping
import WeftMessages
import WeftRPC

/// Converts between `weft.v1.WorkerService` messages and the broker's model; shares ``WorkflowMapping``'s helpers
/// (durations, results, the engine-error → status table).
enum WorkerMapping {
    static func activityTask(_ polled: PolledActivity) -> Weft_V1_ActivityTask {
        let activity = polled.activity
        return Weft_V1_ActivityTask(
            taskToken: polled.token.bytes, workflowID: activity.workflowID, task: taskSpec(activity.task),
            attempt: UInt32(clamping: activity.attempt),
            startToCloseMs: WorkflowMapping.milliseconds(activity.startToCloseTimeout),
            heartbeatTimeoutMs: WorkflowMapping.milliseconds(activity.heartbeatTimeout),
            deadlineUnixMs: polled.deadlineUnixMs, heartbeatDetails: activity.lastHeartbeatDetails,
            reference: activity.reference.map(WorkflowMapping.result), constraints: activity.constraints)
    }

    /// The task as submitted (after validation: its executor resolved), for the worker.
    static func taskSpec(_ task: TaskSpec) -> Weft_V1_TaskSpec {
        let complexity: Weft_V1_Complexity = switch task.complexity {
        case .simple: .simple
        case .medium: .medium
        case .complex: .complex
        case .meta: .meta
        }
        let timeouts = task.timeouts
        return Weft_V1_TaskSpec(
            id: task.id, type: task.type, complexity: complexity, description: task.description,
            dependsOn: task.dependsOn, executor: task.executor, input: task.input,
            timeouts: Weft_V1_Timeouts(
                startToCloseMs: timeouts.startToClose.map(WorkflowMapping.milliseconds) ?? 0,
                heartbeatMs: timeouts.heartbeat.map(WorkflowMapping.milliseconds) ?? 0,
                scheduleToStartMs: timeouts.scheduleToStart.map(WorkflowMapping.milliseconds) ?? 0),
            cacheable: Google_Protobuf_BoolValue(value: task.cacheable))
    }

    /// The token of a heartbeat or completion; INVALID_ARGUMENT naming the field when it is missing or malformed.
    static func token(_ bytes: [UInt8]) throws -> TaskToken {
        guard !bytes.isEmpty else { throw RPCError(code: .invalidArgument, message: "task_token is empty") }
        do {
            return try TaskToken(bytes: bytes)
        } catch {
            throw WorkflowMapping.rpcError(error)
        }
    }

    static func completion(_ request: Weft_V1_CompleteActivityRequest) throws -> ActivityCompletion {
        switch request.outcome {
        case .result(let result)?:
            return .result(result)
        case .failure(let failure)?:
            return .failure(ActivityFailure(
                failure.message.isEmpty ? "the worker reported a failure without a message" : failure.message,
                type: failure.type.isEmpty ? "ActivityError" : failure.type, retryable: failure.retryable))
        case nil:
            throw RPCError(code: .invalidArgument, message: "outcome is not set: give result or failure")
        }
    }
}
