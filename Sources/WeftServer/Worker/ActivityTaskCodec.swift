import WeftEngine
import WeftMapping
import WeftMessages
import WeftRedis
import WeftRPC

extension ActivityCodec {
    /// Activities in a Redis queue's stream as `weft.v1.ActivityTask` bytes, readable by any protobuf tool. The
    /// token and deadline are left empty: the broker hands them out at pickup.
    static let activityTask = ActivityCodec(
        encode: { activity in WorkerMapping.activityTask(activity, token: [], deadlineUnixMs: 0).wireBytes() },
        decode: { bytes in
            let task = try Weft_V1_ActivityTask(wireBytes: bytes)
            guard let spec = task.task else { throw RPCError(code: .dataLoss, message: "the queued activity has no task") }
            return Activity(
                workflowID: task.workflowID, task: try WorkflowMapping.taskSpec(from: spec, position: 0),
                attempt: Int(task.attempt), constraints: task.constraints, lastHeartbeatDetails: task.heartbeatDetails,
                reference: task.reference.map { WorkflowMapping.result(from: $0) },
                startToCloseTimeout: .milliseconds(task.startToCloseMs),
                heartbeatTimeout: .milliseconds(task.heartbeatTimeoutMs))
        })
}
