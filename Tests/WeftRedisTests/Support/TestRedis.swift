import Foundation
import Testing
import WeftRedis

/// Where the Redis tests find their server, and whether they may run.
///
/// `scripts/test` starts a throwaway redis-server and exports `WEFT_TEST_REDIS_URL`. Without it the tests that need
/// Redis are disabled locally, but in CI (`CI` set) they run and fail, so a broken test setup cannot pass silently.
enum TestRedis {
    static let environment = ProcessInfo.processInfo.environment
    static let url: String? = environment["WEFT_TEST_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isCI = environment["CI"].map { !$0.isEmpty } ?? false

    /// The tests using the shared server run when it is configured, and in CI (to fail there when it is not).
    static let sharedServerTestsEnabled = url != nil || isCI
    static let sharedServerDisabled: Comment =
        "WEFT_TEST_REDIS_URL is unset: run scripts/test, or start redis-server and export it (CI=1 makes this fail)"

    /// The tests starting their own redis-server run when the binary exists, and in CI.
    static let ownServerTestsEnabled = RedisServerProcess.executable != nil || isCI
    static let ownServerDisabled: Comment = "redis-server is not installed (CI=1 makes this fail)"

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// The shared server's configuration with test-friendly timeouts; fails the test when the URL is unset.
    static func configuration(commandTimeout: Duration = .seconds(2), poolSize: Int = 4) throws -> RedisConfiguration {
        guard let url else {
            throw Unavailable(
                description: "WEFT_TEST_REDIS_URL is unset but CI is set: scripts/test must provide Redis"
            )
        }
        var configuration = try RedisConfiguration(url: url)
        configuration.commandTimeout = commandTimeout
        configuration.poolSize = poolSize
        return configuration
    }

    /// A key prefix no other test uses.
    static func uniquePrefix(_ name: String = "test") -> String {
        "weft:test:\(name):\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
func eventually(
    timeout: Duration = .seconds(10),
    interval: Duration = .milliseconds(20),
    _ condition: () async -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}

/// How long `body` took.
func elapsed(_ body: () async throws -> Void) async rethrows -> Duration {
    let started = ContinuousClock.now
    try await body()
    return started.duration(to: .now)
}

/// The median of `durations`: timing checks use it so that one call delayed by a busy test machine (the
/// cooperative pool may be starved by other suites running in parallel) does not fail them.
func median(_ durations: [Duration]) -> Duration {
    let sorted = durations.sorted()
    return sorted.isEmpty ? .zero : sorted[sorted.count / 2]
}
