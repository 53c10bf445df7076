/// The Redis keys and channels of ``RedisActivityBroker`` (documented in `docs/redis.md`).
///
/// With the default prefix `weft`:
/// - `weft:queue:{name}`: a stream per queue, read by the consumer group `weft` (one consumer per process); each
///   entry has the fields `token` (the task token's bytes) and `activity` (the encoded activity);
/// - `weft:act:{token_hex}`: a hash per attempt: `state` (`queued`, `running`, `done`, `cancelled`), `owner` (the
///   process that runs the workflow), `queue`, `entry` (its stream entry id), `worker`, `details` (the last
///   heartbeat's), and once done `outcome` (`result` or `failure`), `body`, `failure_type`, `retryable`;
/// - `weft:act:owner:{owner_id}`: the pub/sub channel on which the owner hears that a worker took (`s`),
///   heartbeated (`h`) or completed (`d`) one of its attempts.
public struct RedisQueueLayout: Sendable, Hashable {
    /// The common prefix of every key and channel. Default `weft`.
    public var prefix: String

    /// A layout under `prefix` (tests and deployments sharing one Redis database may use their own).
    public init(prefix: String = "weft") {
        self.prefix = prefix
    }

    /// The consumer group every process reads queues with.
    public static let group = "weft"

    /// The stream of queue `name`.
    public func queueKey(_ name: String) -> String { "\(prefix):queue:\(name)" }

    /// The hash of the attempt whose token is `hex` (``TaskToken/bytes`` in lower-case hex).
    public func attemptKey(_ hex: String) -> String { "\(prefix):act:\(hex)" }

    /// The channel of the process `ownerID`.
    public func ownerChannel(_ ownerID: String) -> String { "\(prefix):act:owner:\(ownerID)" }

    /// The prefix of every owner channel (the Lua scripts append the owner id).
    var ownerChannelPrefix: String { "\(prefix):act:owner:" }
}
