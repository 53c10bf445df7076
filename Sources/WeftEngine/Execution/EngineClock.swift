/// The engine's notion of time: an injectable clock for timeouts, backoff and simulated work (so tests run in
/// virtual time), and wall-clock milliseconds for event timestamps.
public struct EngineClock: Sendable {
    /// Sleeps and measures durations.
    public let clock: any Clock<Duration>
    /// Milliseconds since the Unix epoch, for event times and snapshots.
    public let unixMilliseconds: @Sendable () -> UInt64
    private let elapsed: @Sendable () -> Duration

    public init<C: Clock<Duration>>(clock: C, unixMilliseconds: @escaping @Sendable () -> UInt64) {
        self.clock = clock
        self.unixMilliseconds = unixMilliseconds
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
    }

    /// The real clocks.
    public static var live: EngineClock {
        EngineClock(clock: ContinuousClock()) { UInt64(max(0, SystemTime.nowMilliseconds())) }
    }

    /// Time since this clock was created, on `clock`: a monotonic "now" for deadlines.
    public func now() -> Duration { elapsed() }

    /// Sleeps for `duration` on the engine clock; throws CancellationError when cancelled.
    public func sleep(for duration: Duration) async throws {
        try await clock.sleep(for: duration, tolerance: nil)
    }
}
