/// Settings of a ``SemanticCache``. The executable maps flags and environment variables onto it.
public struct CacheConfiguration: Sendable, Hashable {
    /// The server-wide thresholds (`CACHE_REUSE_THRESHOLD`, `CACHE_SIMILARITY_THRESHOLD`); a lookup may override.
    public var thresholds: CacheThresholds
    /// How long an entry lives from insertion (`CACHE_TTL`, seconds; default 3600). Absolute: hits do not refresh it.
    public var ttl: Duration

    /// Creates a configuration.
    public init(thresholds: CacheThresholds = .defaults, ttl: Duration = .seconds(3600)) {
        self.thresholds = thresholds
        self.ttl = ttl
    }

    /// Thresholds 0.95 / 0.85, TTL one hour.
    public static var defaults: CacheConfiguration { CacheConfiguration() }
}

/// The cache's time: Unix milliseconds, injectable so that tests run TTLs in virtual time.
public struct CacheClock: Sendable {
    /// Milliseconds since the Unix epoch.
    public let unixMilliseconds: @Sendable () -> Int64

    /// A clock reading `unixMilliseconds`.
    public init(unixMilliseconds: @escaping @Sendable () -> Int64) {
        self.unixMilliseconds = unixMilliseconds
    }

    /// Unix time that advances with `clock` (for example a test's manual clock): `epoch` plus the time `clock` has
    /// advanced since this call.
    public init<C: Clock<Duration>>(clock: C, epochMilliseconds epoch: Int64) {
        let start = clock.now
        self.unixMilliseconds = { epoch + start.duration(to: clock.now).milliseconds }
    }

    /// The system's real time.
    public static var system: CacheClock { CacheClock { WallClock.nowMilliseconds() } }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
