/// What every ``ActivityBroker`` checks and how its polls wait, so that the in-memory and the Redis brokers answer
/// alike.
extension ActivityBrokerConfig {
    /// INVALID_ARGUMENT when a heartbeat's details are over ``maxHeartbeatDetailsBytes``.
    public func checkHeartbeatDetails(_ details: String) throws(EngineError) {
        let size = details.utf8.count
        if size > maxHeartbeatDetailsBytes {
            throw EngineError(
                .invalidArgument,
                "details is \(size) bytes, more than the limit of \(maxHeartbeatDetailsBytes) (WEFT_MAX_HEARTBEAT_DETAILS)")
        }
    }

    /// The message of a queue refused because ``maxQueues`` are in use.
    public func tooManyQueues(_ queue: String) -> String {
        "\(maxQueues) queues are in use, the limit: queue \(queue.debugDescription) cannot open"
    }
}

extension ActivityBroker {
    /// Waits for `take` up to `wait` on `clock`; an item handed over as the wait ends is still collected (never
    /// lost). `take` must return nil promptly when cancelled.
    public static func waiting<Item: Sendable>(
        _ wait: Duration, clock: EngineClock, for take: @escaping @Sendable () async -> Item?
    ) async -> Item? {
        await withTaskGroup(of: Item?.self) { group in
            group.addTask { await take() }
            group.addTask {
                try? await clock.sleep(for: wait)
                return nil
            }
            // The first to finish ends the wait; an item handed over meanwhile is still collected.
            var taken = await group.next() ?? nil
            group.cancelAll()
            for await other in group where other != nil { taken = other }
            return taken
        }
    }
}
