import WeftEngine
import WeftMapping
import WeftMessages
import WeftRedis
import WeftRPC

extension ActivityCodec {
    /// Activities in a Redis queue's stream as `weft.v1.ActivityTask` bytes, readable by any protobuf tool. The
    /// token and deadline are left empty: the broker hands them out at pickup.
    static let activityTask = ActivityCodec(
        encode: { activity in
            var task = WorkerMapping.activityTask(PolledActivity(
                token: TaskToken(workflowID: activity.workflowID, taskID: activity.task.id, attempt: activity.attempt,
                                 nonce: []),
                activity: activity, deadlineUnixMs: 0))
            task.taskToken = []
            return task.wireBytes()
        },
        decode: { bytes in
            let task = try Weft_V1_ActivityTask(wireBytes: bytes)
            guard let spec = task.task else { throw RPCError(code: .dataLoss, message: "the queued activity has no task") }
            return Activity(
                workflowID: task.workflowID, task: try WorkflowMapping.taskSpec(from: spec, position: 0),
                attempt: Int(task.attempt), constraints: task.constraints, lastHeartbeatDetails: task.heartbeatDetails,
                reference: task.reference.map {
                    TaskResult(taskID: $0.taskID, output: $0.output, attempt: Int($0.attempt),
                               duration: .milliseconds($0.durationMs))
                },
                startToCloseTimeout: .milliseconds(task.startToCloseMs),
                heartbeatTimeout: .milliseconds(task.heartbeatTimeoutMs))
        })
}
