public import WeftEngine
import WeftMapping
import WeftMessages
public import WeftRPC

/// `weft.v1.WorkerService` on an ``ActivityBroker``: remote workers poll a queue, heartbeat and complete.
///
/// A poll waits up to the broker's poll timeout, and ends a little before the client's own deadline when that is
/// sooner, so a worker sees an empty answer rather than DEADLINE_EXCEEDED. A poll whose client goes away is
/// cancelled; an activity handed to it at that moment goes back to the front of its queue.
public struct WorkerService: RPCService {
    public static let name = "weft.v1.WorkerService"
    public let broker: any ActivityBroker

    public init(broker: any ActivityBroker) {
        self.broker = broker
    }

    public var serviceName: String { Self.name }

    public var methods: [(method: String, handler: RPCHandler)] {
        let broker = broker
        return [
            ("PollActivity", .unary { (request: Weft_V1_PollActivityRequest, context) in
                guard !request.queue.isEmpty else {
                    throw RPCError(code: .invalidArgument, message: "queue is empty")
                }
                do {
                    let polled = try await broker.poll(
                        queue: request.queue, workerID: request.workerID, identity: request.identity,
                        wait: Self.pollWait(limit: broker.config.pollTimeout, deadline: context.deadline))
                    return Weft_V1_PollActivityResponse(activity: polled.map(WorkerMapping.activityTask))
                } catch {
                    throw WorkflowMapping.rpcError(error)
                }
            }),
            ("RecordHeartbeat", .unary { (request: Weft_V1_RecordHeartbeatRequest, _) in
                let token = try WorkerMapping.token(request.taskToken)
                do {
                    let cancel = try await broker.recordHeartbeat(token: token, details: request.details)
                    return Weft_V1_RecordHeartbeatResponse(cancelRequested: cancel)
                } catch {
                    throw WorkflowMapping.rpcError(error)
                }
            }),
            ("CompleteActivity", .unary { (request: Weft_V1_CompleteActivityRequest, _) in
                let token = try WorkerMapping.token(request.taskToken)
                let outcome = try WorkerMapping.completion(request)
                do {
                    try await broker.complete(token: token, outcome: outcome)
                    return Weft_V1_CompleteActivityResponse()
                } catch {
                    throw WorkflowMapping.rpcError(error)
                }
            }),
        ]
    }

    /// How long a poll may wait: the broker's limit, or less when the client's deadline comes first (answering
    /// empty a tenth of the remaining time, at most one second, before it).
    static func pollWait(limit: Duration, deadline: ContinuousClock.Instant?) -> Duration {
        guard let deadline else { return limit }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return .zero }
        let margin = min(remaining / 10, .seconds(1))
        return min(limit, remaining - margin)
    }
}
