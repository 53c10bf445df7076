import Synchronization
import WeftRedis

/// Reads a subscription's stream into an array that tests poll (with bounded waits) instead of awaiting the stream.
final class MessageCollector: Sendable {
    private final class Received: Sendable {
        let messages = Mutex<[RedisPubSubMessage]>([])
    }

    private let received: Received
    private let reader: Task<Void, Never>

    init(_ subscription: RedisSubscription) {
        let received = Received()
        self.received = received
        reader = Task {
            for await message in subscription.messages {
                received.messages.withLock { $0.append(message) }
            }
        }
    }

    var messages: [RedisPubSubMessage] { received.messages.withLock { $0 } }

    var texts: [String] { messages.map(\.text) }

    deinit { reader.cancel() }
}
