/// A message published on a Redis channel, as delivered to a ``RedisSubscription``.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on.
    public var channel: String
    /// The pattern it matched, for subscriptions made with patterns (`PSUBSCRIBE`); nil for channel subscriptions.
    public var pattern: String?
    /// The message, binary-safe.
    public var payload: [UInt8]

    /// Creates a message.
    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// The payload as UTF-8 text (invalid sequences repaired).
    public var text: String { String(decoding: payload, as: UTF8.self) }
}
