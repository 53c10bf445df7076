/// Backoff between connection attempts, shared by the connections of one pool: a value type driven under the
/// pool's lock.
///
/// After a failed attempt, commands fail at once with a connection error until the backoff has passed, instead of
/// each waiting for its own doomed attempt: a Redis outage costs callers microseconds, not timeouts.
struct ReconnectGate {
    private let backoff: RedisConfiguration.Backoff
    private var delay: Duration?
    private var retryAt: ContinuousClock.Instant?

    init(backoff: RedisConfiguration.Backoff) {
        self.backoff = backoff
    }

    /// Whether an attempt may be made now; otherwise how long until it may.
    func check(now: ContinuousClock.Instant) -> Duration? {
        guard let retryAt, now < retryAt else { return nil }
        return now.duration(to: retryAt)
    }

    /// Records a failed attempt and returns the wait before the next.
    mutating func failed(now: ContinuousClock.Instant) -> Duration {
        let next = backoff.next(after: delay)
        delay = next
        retryAt = now + next
        return next
    }

    /// Records a successful attempt; returns true if attempts had been failing.
    mutating func succeeded() -> Bool {
        defer {
            delay = nil
            retryAt = nil
        }
        return delay != nil
    }
}
