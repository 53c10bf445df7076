import WeftEngine
import WeftMapping
import WeftMessages
import WeftRPC

/// Converts between `weft.v1.WorkerService` messages and the broker's model; shares ``WorkflowMapping``'s helpers
/// (durations, results, the engine-error → status table).
enum WorkerMapping {
    static func activityTask(_ polled: PolledActivity) -> Weft_V1_ActivityTask {
        activityTask(polled.activity, token: polled.token.bytes, deadlineUnixMs: polled.deadlineUnixMs)
    }

    /// An attempt as workers receive it (and as Redis queues hold it, with no token or deadline yet).
    static func activityTask(_ activity: Activity, token: [UInt8], deadlineUnixMs: UInt64) -> Weft_V1_ActivityTask {
        Weft_V1_ActivityTask(
            taskToken: token, workflowID: activity.workflowID, task: WorkflowMapping.taskSpec(activity.task),
            attempt: UInt32(clamping: activity.attempt),
            startToCloseMs: WorkflowMapping.milliseconds(activity.startToCloseTimeout),
            heartbeatTimeoutMs: WorkflowMapping.milliseconds(activity.heartbeatTimeout),
            deadlineUnixMs: deadlineUnixMs, heartbeatDetails: activity.lastHeartbeatDetails,
            reference: activity.reference.map(WorkflowMapping.result), constraints: activity.constraints)
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
