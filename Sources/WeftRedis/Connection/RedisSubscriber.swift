public import Logging

/// A long-lived Redis connection in subscribe mode, delivering published messages as async streams.
///
/// It is separate from ``RedisClient``'s pool because a connection in subscribe mode can run nothing but
/// (un)subscribe commands. Its dedicated thread reads pushed messages, sends the (un)subscriptions that
/// ``subscribe(channels:patterns:)`` and ``RedisSubscription/cancel()`` ask for, and, when the connection breaks
/// (a Redis restart), reconnects with the configured backoff and subscribes again to everything still wanted.
///
/// Call ``shutdown()`` when done (deinit does it too): every subscription's stream finishes.
public final class RedisSubscriber: Sendable {
    /// How many unread messages a subscription buffers before dropping the oldest.
    public static let bufferLimit = 10_000

    /// The configuration the subscriber was made with.
    public let configuration: RedisConfiguration
    private let core: SubscriberCore

    /// Creates a subscriber and starts its thread, which connects at once.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "weft.redis.subscriber")) {
        self.configuration = configuration
        self.core = SubscriberCore(configuration: configuration, logger: logger)
        core.start()
    }

    deinit {
        core.shutdown()
    }

    /// Subscribes to `channels` (exact names) and `patterns` (glob-style, as `PSUBSCRIBE`).
    ///
    /// Returns at once; the subscription reaches Redis within a few tens of milliseconds when connected. Use
    /// ``RedisSubscription/waitUntilActive(timeout:)`` to know when messages will be delivered.
    public func subscribe(channels: [String] = [], patterns: [String] = []) -> RedisSubscription {
        core.add(channels: Set(channels), patterns: Set(patterns))
    }

    /// True while the subscriber holds a working connection.
    public var isConnected: Bool { core.isConnected }

    /// Stops the thread, closes the connection and finishes every subscription's stream. Idempotent.
    public func shutdown() {
        core.shutdown()
    }
}
