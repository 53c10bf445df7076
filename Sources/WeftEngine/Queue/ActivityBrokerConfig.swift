/// Limits and timeouts of an ``ActivityBroker``, with documented defaults.
public struct ActivityBrokerConfig: Sendable, Hashable {
    /// `WEFT_WORKER_POLL_TIMEOUT`: how long a poll waits for an activity before an empty answer. Default 60 s
    /// (shorter than a client's usual deadline; a poll with a shorter deadline answers before it).
    public var pollTimeout: Duration = .seconds(60)
    /// `WEFT_SCHEDULE_TO_START_TIMEOUT`: how long an activity may wait for a worker before its task fails with a
    /// non-retryable `ScheduleToStartTimeout`; a task's own `timeouts.schedule_to_start_ms` wins. `nil`: off (default).
    public var scheduleToStartTimeout: Duration?
    /// `WEFT_MAX_QUEUE_PENDING`: activities one queue may hold waiting; beyond, the attempt fails with a retryable
    /// `QueueFull`. Default 10,000.
    public var maxPendingPerQueue: Int = 10_000
    /// `WEFT_MAX_HEARTBEAT_DETAILS`: bytes of a heartbeat's details; more is INVALID_ARGUMENT. Default 64 KiB.
    public var maxHeartbeatDetailsBytes: Int = 64 * 1024
    /// Bytes of a queue name. Default 128.
    public var maxQueueNameLength: Int = 128
    /// Queues with pending activities, waiting polls or running activities at once; a poll or an attempt on a new
    /// queue beyond is refused (RESOURCE_EXHAUSTED, `QueueFull`). Default 1,000.
    public var maxQueues: Int = 1000
    /// How long the token of a cancelled or timed-out attempt answers heartbeats with `cancel_requested` (NOT_FOUND
    /// after), and how many such tokens are remembered at most. Defaults 10 minutes, 10,000.
    public var cancelledTokenRetention: Duration = .seconds(600)
    public var maxCancelledTokens: Int = 10_000

    public init() {}

    /// The documented defaults.
    public static var defaults: ActivityBrokerConfig { ActivityBrokerConfig() }

    /// What is wrong with `name` as a queue name, or nil: 1 to ``maxQueueNameLength`` bytes of letters, digits and
    /// `-_.:/@`.
    public func problem(withQueueName name: String) -> String? {
        if name.isEmpty { return "queue name is empty" }
        let length = name.utf8.count
        if length > maxQueueNameLength {
            return "queue name is \(length) bytes, more than the limit of \(maxQueueNameLength)"
        }
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "@"):
                true
            default: false
            }
        }
        if !allowed { return "queue name \(name.debugDescription) may hold only letters, digits and -_.:/@" }
        return nil
    }
}
