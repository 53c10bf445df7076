/// The `queue:NAME` executor: runs each attempt on a remote worker polling NAME, through an ``ActivityBroker``.
public struct QueueExecutor: ActivityExecutor {
    public let broker: any ActivityBroker
    public let queue: String

    public init(broker: any ActivityBroker, queue: String) {
        self.broker = broker
        self.queue = queue
    }

    /// The attempt's timeouts start when a worker takes it; the broker bounds the wait (schedule-to-start).
    public var waitsForPickup: Bool { true }

    public func execute(_ activity: Activity, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput {
        try await broker.execute(activity, queue: queue, heartbeat: heartbeat)
    }
}
