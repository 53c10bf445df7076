import Synchronization
import Testing

@testable import WeftEngine

extension ActivityRunnerTests {
    @Suite("ActivityRunner.Retry: backoff intervals")
    struct RetryIntervals {
        private static let defaults = ActivityRunner.Retry(
            maxAttempts: 10, initialInterval: .seconds(1), backoffCoefficient: 2, maxInterval: .seconds(100),
            nonRetryable: [])

        @Test(
            "With the defaults the waits are 1 s, 2 s, 4 s … capped at 100 s",
            arguments: [
                (0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 64), (8, 100), (9, 100), (60, 100),
            ]
                as [(Int, Int64)])
        func defaultIntervals(after attempt: Int, seconds: Int64) {
            #expect(Self.defaults.interval(after: attempt) == .seconds(seconds))
        }

        @Test("A fractional coefficient grows the wait until the maximum")
        func fractionalCoefficient() {
            let retry = ActivityRunner.Retry(
                maxAttempts: 10, initialInterval: .milliseconds(500), backoffCoefficient: 1.5, maxInterval: .seconds(2),
                nonRetryable: [])
            #expect((1...6).map { retry.interval(after: $0) } == [
                .milliseconds(500), .milliseconds(750), .microseconds(1125_000), .microseconds(1_687_500), .seconds(2),
                .seconds(2),
            ])
        }

        @Test("A coefficient of 1 keeps the wait constant; an initial interval above the maximum is capped")
        func constantAndCapped() {
            var retry = Self.defaults
            retry.backoffCoefficient = 1
            #expect((1...5).map { retry.interval(after: $0) } == Array(repeating: .seconds(1), count: 5))
            retry = Self.defaults
            retry.initialInterval = .seconds(300)
            #expect((1...3).map { retry.interval(after: $0) } == Array(repeating: .seconds(100), count: 3))
        }
    }
}

@Suite("ActivityRunner: attempts in virtual time", .timeLimit(.minutes(1)))
struct ActivityRunnerTests {
    let clock = ManualClock()
    var engineClock: EngineClock { EngineClock(clock: clock, unixMilliseconds: { 0 }) }

    private func retry(maxAttempts: Int, nonRetryable: Set<String> = []) -> ActivityRunner.Retry {
        ActivityRunner.Retry(
            maxAttempts: maxAttempts, initialInterval: .seconds(1), backoffCoefficient: 2, maxInterval: .seconds(100),
            nonRetryable: nonRetryable)
    }

    private func activity(startToClose: Duration = .seconds(60), heartbeat: Duration = .seconds(10)) -> Activity {
        Activity(
            workflowID: "wf-1", task: TaskSpec(id: "a"), attempt: 1, startToCloseTimeout: startToClose,
            heartbeatTimeout: heartbeat)
    }

    /// Runs the runner as a child task while `drive` moves the clock; returns its outcome and reports.
    private func run(
        _ activity: Activity, executor: ScriptedExecutor, retry: ActivityRunner.Retry,
        drive: @Sendable () async throws -> Void
    ) async throws -> (outcome: String, reports: [String]) {
        let runner = ActivityRunner(
            clock: engineClock, executor: executor, retry: retry, heartbeatEventInterval: .seconds(1))
        let reports = Locked<[String]>([])
        let outcome = Locked<String?>(nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let result = await runner.run(activity) { report in reports.withLock { $0.append(report.summary) } }
                outcome.withLock { $0 = result.summary }
            }
            defer { group.cancelAll() }
            try await drive()
            try await eventually("the runner returns") { outcome.withLock { $0 } != nil }
        }
        return (outcome.withLock { $0 }!, reports.withLock { $0 })
    }

    private func waitForSleepers(_ count: Int, nextAt deadline: Duration) async throws {
        let clock = clock
        try await eventually("\(count) sleepers, the next at \(deadline)") {
            clock.sleeperCount == count && clock.nextDeadline?.offset == deadline
        }
    }

    private func advance(to time: Duration) { clock.advance(to: ManualClock.Instant(offset: time)) }

    @Test("Heartbeats keep an attempt alive past the heartbeat timeout; heartbeat reports are throttled")
    func heartbeatsKeepAlive() async throws {
        let executor = ScriptedExecutor(now: { [clock] in clock.now.offset })
        let result = try await run(activity(), executor: executor, retry: retry(maxAttempts: 1)) {
            let call = try await executor.waitForCall("a")
            try await waitForSleepers(2, nextAt: .seconds(10))
            for second in stride(from: 4, through: 28, by: 4) {
                advance(to: .seconds(Int64(second)))
                call.heartbeat("at \(second)")
                // Within the report interval: recorded, not reported.
                call.heartbeat("again at \(second)")
                // The watchdog, if it woke, sleeps again until the last beat plus 10 s.
                try await eventually("the watchdog sleeps again") { clock.sleeperCount == 2 }
            }
            #expect(!call.wasCancelled)
            advance(to: .seconds(30))
            call.succeed("done")
        }
        #expect(result.outcome == #"succeeded "done" attempt 1 after 30000ms"#)
        #expect(result.reports == ["started 1"] + stride(from: 4, through: 28, by: 4).map { "heartbeat 1 at \($0)" })
        #expect(executor.journal.map(\.description) == ["started a#1", "ended a#1 succeeded"])
    }

    @Test("Start-to-close fires even while the attempt heartbeats; the attempt ends before the next one starts")
    func startToCloseWhileHeartbeating() async throws {
        let executor = ScriptedExecutor(now: { [clock] in clock.now.offset }, script: { activity in
            activity.attempt == 1
                ? .block(whenCancelled: .returnLateResult("late")) : .succeed(ActivityOutput(output: "ok"))
        })
        let short = activity(startToClose: .seconds(20))
        let result = try await run(short, executor: executor, retry: retry(maxAttempts: 2)) {
            let call = try await executor.waitForCall("a")
            try await waitForSleepers(2, nextAt: .seconds(10))
            advance(to: .seconds(5))
            call.heartbeat()
            // Each time the watchdog wakes it finds a beat and sleeps until that beat plus 10 s.
            for second in [10, 15] {
                advance(to: .seconds(Int64(second)))
                try await waitForSleepers(2, nextAt: .seconds(Int64(second + 5)))
                call.heartbeat()
            }
            // Both timers are due at 20 s: the watchdog finds the beat of 15 s, start-to-close fires.
            advance(to: .seconds(20))
            try await waitForSleepers(1, nextAt: .seconds(21))
            #expect(call.wasCancelled)
            advance(to: .seconds(21))
        }
        #expect(result.outcome == #"succeeded "ok" attempt 2 after 0ms"#)
        #expect(
            result.reports == [
                "started 1", "heartbeat 1 ", "heartbeat 1 ", "heartbeat 1 ",
                "failed 1 StartToCloseTimeout retry 1000ms", "started 2",
            ])
        #expect(
            executor.journal.map(\.description) == [
                "started a#1", "cancelled a#1", "ended a#1 succeeded", "started a#2", "ended a#2 succeeded",
            ])
    }

    @Test("An error that is not an ActivityFailure is a retryable failure named by its type")
    func foreignError() async throws {
        struct DiskFull: Error {}
        let executor = ScriptedExecutor(script: { activity in
            activity.attempt == 1 ? .throwError(DiskFull()) : .succeed(ActivityOutput(output: "ok"))
        })
        let result = try await run(activity(), executor: executor, retry: retry(maxAttempts: 2)) {
            _ = try await executor.waitForCall("a")
            try await waitForSleepers(1, nextAt: .seconds(1))
            advance(to: .seconds(1))
        }
        #expect(result.reports == ["started 1", "failed 1 DiskFull retry 1000ms", "started 2"])
        #expect(result.outcome == #"succeeded "ok" attempt 2 after 0ms"#)
    }

    @Test("Non-retryable failures and the last attempt end the task without a wait")
    func finalFailures() async throws {
        let executor = ScriptedExecutor(script: { activity in
            switch activity.attempt {
            case 1: .fail(ActivityFailure("listed", type: "BadInput"))
            default: .fail(ActivityFailure("no"))
            }
        })
        let policy = retry(maxAttempts: 5, nonRetryable: ["BadInput"])
        let listed = try await run(activity(), executor: executor, retry: policy) {}
        #expect(listed.reports == ["started 1", "failed 1 BadInput final"])
        #expect(listed.outcome == "failed BadInput attempt 1")

        var second = activity()
        second.attempt = 2
        let last = try await run(second, executor: executor, retry: retry(maxAttempts: 2)) {}
        #expect(last.reports == ["started 2", "failed 2 ActivityError final"])
        #expect(last.outcome == "failed ActivityError attempt 2")
        #expect(clock.sleeperCount == 0)
    }

    @Test("Cancelling the runner reaches a running attempt at once, and a retry that is waiting")
    func cancellation() async throws {
        let blocked = ScriptedExecutor()
        let runner = ActivityRunner(
            clock: engineClock, executor: blocked, retry: retry(maxAttempts: 3), heartbeatEventInterval: .seconds(1))
        let executor = ScriptedExecutor(script: { activity in
            activity.attempt == 1 ? .fail(ActivityFailure("flaky")) : .block()
        })
        let waiting = ActivityRunner(
            clock: engineClock, executor: executor, retry: retry(maxAttempts: 3), heartbeatEventInterval: .seconds(1))
        let outcomes = Locked<[String: String]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let outcome = await runner.run(activity()) { _ in }
                outcomes.withLock { $0["running"] = outcome.summary }
            }
            group.addTask {
                let outcome = await waiting.run(activity()) { _ in }
                outcomes.withLock { $0["waiting"] = outcome.summary }
            }
            let call = try await blocked.waitForCall("a")
            _ = try await executor.waitForCall("a")
            // The running attempt's two timers and the other task's backoff.
            try await waitForSleepers(3, nextAt: .seconds(1))
            group.cancelAll()
            try await call.waitForCancellation()
            try await eventually("both runners return") { outcomes.withLock { $0.count } == 2 }
        }
        #expect(outcomes.withLock { $0 } == ["running": "cancelled attempt 1", "waiting": "cancelled attempt 1"])
        #expect(clock.now.offset == .zero)
        #expect(clock.sleeperCount == 0)
        #expect(executor.calls.count == 1)
    }
}

extension ActivityRunner.Report {
    /// E.g. `started 1`, `heartbeat 1 details`, `failed 1 HeartbeatTimeout retry 1000ms`.
    var summary: String {
        switch self {
        case .attemptStarted(let attempt): "started \(attempt)"
        case .heartbeat(let attempt, let details): "heartbeat \(attempt) \(details)"
        case .attemptFailed(let attempt, let failure, let retryIn):
            "failed \(attempt) \(failure.type) " + (retryIn.map { "retry \(milliseconds($0))ms" } ?? "final")
        }
    }
}

extension ActivityRunner.Outcome {
    /// E.g. `succeeded "out" attempt 2 after 0ms`, `failed Type attempt 1`, `cancelled attempt 1`.
    var summary: String {
        switch self {
        case .succeeded(let output, let attempt, let duration):
            "succeeded \"\(output.output)\" attempt \(attempt) after \(milliseconds(duration))ms"
        case .failed(let failure, let attempt): "failed \(failure.type) attempt \(attempt)"
        case .cancelled(let attempt): "cancelled attempt \(attempt)"
        }
    }
}

