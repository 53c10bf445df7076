/// The messages of some channels and patterns, from a ``RedisSubscriber``.
///
/// The subscription lasts until ``cancel()`` is called, its ``messages`` stream is dropped, or the subscriber is
/// shut down (which ends the stream). It survives connection losses: after a Redis restart the subscriber
/// reconnects and subscribes again, but messages published while it was disconnected are lost (Redis pub/sub
/// keeps nothing).
public struct RedisSubscription: Sendable {
    /// The channels subscribed to (`SUBSCRIBE`).
    public let channels: Set<String>
    /// The glob-style patterns subscribed to (`PSUBSCRIBE`).
    public let patterns: Set<String>
    /// The messages, in the order Redis delivered them. When the consumer falls more than
    /// ``RedisSubscriber/bufferLimit`` messages behind, the oldest unread ones are dropped.
    public let messages: AsyncStream<RedisPubSubMessage>

    let id: UInt64
    let core: SubscriberCore

    /// True while the subscriber is connected and Redis has confirmed every channel and pattern of this
    /// subscription.
    public var isActive: Bool { core.isActive(channels: channels, patterns: patterns) }

    /// While ``isActive``, a number identifying the current connection (it changes on every reconnection); nil
    /// otherwise.
    ///
    /// Messages published while the subscriber was disconnected are lost, so a consumer that must not miss state
    /// re-reads it whenever this changes to a new value (``RedisCacheStore`` reloads its index then).
    public var activeGeneration: UInt64? { core.activeGeneration(channels: channels, patterns: patterns) }

    /// Waits until Redis has confirmed every channel and pattern of this subscription on the current connection,
    /// or `timeout` has passed; returns whether it was confirmed.
    ///
    /// A message published after this returns true is delivered (unless the connection is lost meanwhile).
    public func waitUntilActive(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if core.isActive(channels: channels, patterns: patterns) { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
            if Task.isCancelled { return core.isActive(channels: channels, patterns: patterns) }
        }
    }

    /// Ends the subscription: the stream finishes and channels nobody else wants are unsubscribed.
    public func cancel() {
        core.remove(id)
    }
}
