import Testing
import WeftEngine

/// A task for the `test` executor (the harness's default), written compactly.
private func task(
    _ id: String, _ complexity: Complexity = .medium, type: String = "", after dependencies: String...,
    executor: String = "", timeouts: ActivityTimeouts = ActivityTimeouts(), retry: RetryPolicy? = nil
) -> TaskSpec {
    TaskSpec(
        id: id, type: type, complexity: complexity, dependsOn: dependencies, executor: executor, timeouts: timeouts,
        retryPolicy: retry)
}

/// Summaries with each run of consecutive `task_started` events sorted: tasks started together by one scheduling
/// step report their start from concurrent activities, so only their order among themselves is free.
private func canonical(_ events: [WorkflowEvent]) -> [String] {
    var result: [String] = []
    var run: [String] = []
    for summary in events.summaries {
        if summary.hasPrefix("task_started ") {
            run.append(summary)
        } else {
            result += run.sorted()
            run = []
            result.append(summary)
        }
    }
    return result + run.sorted()
}

/// The engine's runtime behaviour through its public API, in virtual time where time matters (see
/// ``EngineHarness``).
@Suite("WorkflowEngine")
enum WorkflowEngineTests {}

private func output(_ text: String, newTasks: [TaskSpec] = []) -> ScriptedExecutor.Behavior {
    .succeed(ActivityOutput(output: text, newTasks: newTasks))
}

extension WorkflowEngineTests {
    @Suite("activities in virtual time", .timeLimit(.minutes(1)))
    struct Activities {
        @Test("A heartbeat timeout fails the attempt, which is cancelled before the retry starts; the retry succeeds")
        func heartbeatTimeoutThenRetry() async throws {
            var config = EngineConfig()
            config.heartbeatTimeout = .seconds(30)
            // Attempt 1 keeps running until cancelled, then returns a late result that must be discarded.
            try await EngineHarness.run(config: config, script: { activity in
                activity.attempt == 1 ? .block(whenCancelled: .returnLateResult("late")) : .block()
            }) { h in
                let id = try await h.submit([task("a")])
                let first = try await h.executor.waitForCall("a")
                // Events are stamped when the workflow's loop handles them: let it record the start before time moves.
                _ = try await h.events(id, through: "task_started a#1")
                #expect(first.activity.heartbeatTimeout == .seconds(30))
                #expect(first.activity.startToCloseTimeout == .seconds(20 * 60))
                // The heartbeat watchdog (due at 30 s) and the start-to-close timer (20 min).
                try await h.waitForSleepers(2, nextAt: .seconds(30))

                h.advance(to: .seconds(10))
                first.heartbeat(#"{"step":1}"#)
                _ = try await h.events(id, through: "task_heartbeat a#1")
                // The watchdog wakes at 30 s, finds the beat of 10 s and sleeps until 40 s.
                h.advance(to: .seconds(30))
                try await h.waitForSleepers(2, nextAt: .seconds(40))
                #expect(!first.wasCancelled)

                h.advance(to: .seconds(40))
                let failed = try #require(try await h.events(id, through: "task_failed a#1").last)
                #expect(first.wasCancelled)
                #expect(failed.timeUnixMs == 40_000)
                guard case .taskFailed(_, _, let error, _, _, _) = failed.payload else { return }
                #expect(error == "heartbeat timeout: attempt 1 sent no heartbeat for 30 s")
                // Attempt 2 waits for the 1 s backoff.
                try await h.waitForSleepers(1, nextAt: .seconds(41))
                #expect(h.executor.calls.count == 1)
                h.advance(to: .seconds(41))
                let second = try await h.executor.waitForCall("a", attempt: 2)
                #expect(second.startedAt == .seconds(41))
                #expect(second.activity.lastHeartbeatDetails == #"{"step":1}"#)
                second.succeed("done")

                let events = try await h.history(id)
                #expect(
                    events.summaries == [
                        "workflow_accepted 1",
                        "task_started a#1",
                        #"task_heartbeat a#1 {"step":1}"#,
                        "task_failed a#1 HeartbeatTimeout retry 1000ms",
                        "task_started a#2",
                        #"task_completed a#2 "done""#,
                        "workflow_completed",
                    ])
                #expect(events.map(\.timeUnixMs) == [0, 0, 10_000, 40_000, 41_000, 41_000, 41_000])
                // Attempt 1 was cancelled, and had ended (with its discarded late result), before attempt 2 began.
                #expect(
                    h.executor.journal.map(\.description) == [
                        "started a#1", "cancelled a#1", "ended a#1 succeeded", "started a#2", "ended a#2 succeeded",
                    ])
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .completed)
                #expect(snapshot.progress == Progress(completed: 1, total: 1, running: 0))
                #expect(snapshot.lastSequence == 7)
                let a = try #require(snapshot.tasks.first)
                #expect(a.status == .completed)
                #expect(a.attempt == 2)
                #expect(a.output == "done")
                #expect(a.error == "")
                #expect(a.startedUnixMs == 0)
                #expect(a.finishedUnixMs == 41_000)
            }
        }

        @Test("Start-to-close: ACTIVITY_TIMEOUT for SIMPLE and MEDIUM, LONG_ACTIVITY_TIMEOUT for COMPLEX and META")
        func startToCloseDefaults() async throws {
            var config = EngineConfig()
            config.heartbeatTimeout = .seconds(3 * 3600)
            try await EngineHarness.run(config: config) { h in
                let id = try await h.submit(
                    [task("s", .simple), task("m", .medium), task("c", .complex), task("p", .meta)],
                    options: WorkflowOptions(retryPolicy: RetryPolicy(maxAttempts: 1)))
                var calls: [String: ScriptedCall] = [:]
                for name in ["s", "m", "c", "p"] { calls[name] = try await h.executor.waitForCall(name) }
                #expect(calls.mapValues(\.activity.startToCloseTimeout) == [
                    "s": .seconds(1200), "m": .seconds(1200), "c": .seconds(5400), "p": .seconds(5400),
                ])
                try await h.waitForSleepers(8, nextAt: .seconds(1200))

                h.advance(to: .seconds(1200) - .milliseconds(1))
                #expect(h.clock.sleeperCount == 8)
                h.advance(to: .seconds(1200))
                let short = try await h.events(id, "both short tasks fail") { events in
                    events.filter { $0.payload.kind == "task_failed" }.count == 2
                }
                #expect(calls["s"]!.wasCancelled && calls["m"]!.wasCancelled)
                #expect(!calls["c"]!.wasCancelled && !calls["p"]!.wasCancelled)
                // The long tasks' two timers each.
                try await h.waitForSleepers(4, nextAt: .seconds(5400))
                h.advance(to: .seconds(5400))

                let events = try await h.history(id)
                #expect(events.starts(with: short))
                let failures = events.filter { $0.payload.kind == "task_failed" }
                #expect(Set(failures.prefix(2).map(\.payload.summary)) == [
                    "task_failed s#1 StartToCloseTimeout final", "task_failed m#1 StartToCloseTimeout final",
                ])
                #expect(Set(failures.suffix(2).map(\.payload.summary)) == [
                    "task_failed c#1 StartToCloseTimeout final", "task_failed p#1 StartToCloseTimeout final",
                ])
                #expect(failures.map(\.timeUnixMs) == [1_200_000, 1_200_000, 5_400_000, 5_400_000])
                for failure in failures {
                    guard case .taskFailed(let taskID, _, let error, _, _, _) = failure.payload else { continue }
                    let limit = taskID == "s" || taskID == "m" ? "1200 s" : "5400 s"
                    #expect(error == "start-to-close timeout: attempt 1 did not finish within \(limit)")
                }
                #expect(events.last?.payload.kind == "workflow_failed")
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .failed)
                #expect(snapshot.tasks.map(\.status) == [.failed, .failed, .failed, .failed])
                #expect(calls.values.allSatisfy { $0.wasCancelled })
            }
        }

        @Test("A task's own timeouts override the workflow's, which override the engine's")
        func timeoutOverrides() async throws {
            try await EngineHarness.run { h in
                let id = try await h.submit(
                    [
                        task("a", .simple, timeouts: ActivityTimeouts(startToClose: .seconds(5))),
                        task("b", .complex),
                        task("c", .complex, timeouts: ActivityTimeouts(heartbeat: .seconds(3))),
                    ],
                    options: WorkflowOptions(
                        retryPolicy: RetryPolicy(maxAttempts: 1),
                        timeouts: ActivityTimeouts(startToClose: .seconds(7), heartbeat: .seconds(100))))
                let a = try await h.executor.waitForCall("a")
                let b = try await h.executor.waitForCall("b")
                let c = try await h.executor.waitForCall("c")
                #expect(a.activity.startToCloseTimeout == .seconds(5))
                #expect(a.activity.heartbeatTimeout == .seconds(100))
                #expect(b.activity.startToCloseTimeout == .seconds(7))
                #expect(b.activity.heartbeatTimeout == .seconds(100))
                #expect(c.activity.startToCloseTimeout == .seconds(7))
                #expect(c.activity.heartbeatTimeout == .seconds(3))

                try await h.waitForSleepers(6, nextAt: .seconds(3))
                h.advance(to: .seconds(3))
                _ = try await h.events(id, through: "task_failed c#1")
                try await h.waitForSleepers(4, nextAt: .seconds(5))
                h.advance(to: .seconds(5))
                _ = try await h.events(id, through: "task_failed a#1")
                try await h.waitForSleepers(2, nextAt: .seconds(7))
                h.advance(to: .seconds(7))

                let events = try await h.history(id)
                #expect(
                    canonical(events) == [
                        "workflow_accepted 3",
                        "task_started a#1", "task_started b#1", "task_started c#1",
                        "task_failed c#1 HeartbeatTimeout final",
                        "task_failed a#1 StartToCloseTimeout final",
                        "task_failed b#1 StartToCloseTimeout final",
                        "workflow_failed [c, a, b]",
                    ])
                #expect(events.filter { $0.payload.kind == "task_failed" }.map(\.timeUnixMs) == [3000, 5000, 7000])
            }
        }

        @Test("Retries wait 1 s, 2 s, 4 s … up to the maximum interval; an attempt starts only once that has passed")
        func retryBackoff() async throws {
            try await EngineHarness.run(script: { activity in
                activity.attempt <= 8 ? .fail(ActivityFailure("boom", type: "Flaky")) : output("ok")
            }) { h in
                let id = try await h.submit([task("a", retry: RetryPolicy(maxAttempts: 9))])
                let expected: [Duration] = [1, 2, 4, 8, 16, 32, 64, 100].map { .seconds($0) }
                var starts: [Duration] = [.zero]
                for (index, interval) in expected.enumerated() {
                    let attempt = index + 1
                    let failed = try #require(try await h.events(id, through: "task_failed a#\(attempt)").last)
                    let retry = "retry \(milliseconds(interval))ms"
                    #expect(failed.payload.summary == "task_failed a#\(attempt) Flaky \(retry)")
                    let due = h.now + interval
                    try await h.waitForSleepers(1, nextAt: due)
                    h.advance(to: due - .milliseconds(1))
                    #expect(h.clock.sleeperCount == 1, "attempt \(attempt + 1) must still wait")
                    #expect(h.executor.calls.count == attempt)
                    h.advance(to: due)
                    let next = try await h.executor.waitForCall("a", attempt: attempt + 1)
                    #expect(next.startedAt == due)
                    starts.append(due)
                }
                let events = try await h.history(id)
                let attempts = (1...8).flatMap { attempt in
                    [
                        "task_started a#\(attempt)",
                        "task_failed a#\(attempt) Flaky retry \(milliseconds(expected[attempt - 1]))ms",
                    ]
                }
                #expect(
                    events.summaries == ["workflow_accepted 1"] + attempts
                        + ["task_started a#9", #"task_completed a#9 "ok""#, "workflow_completed"])
                #expect(h.executor.calls.map(\.startedAt) == starts)
                #expect(starts.last == .seconds(227))
                let a = try #require(try h.engine.snapshot(workflowID: id).tasks.first)
                #expect(a.status == .completed)
                #expect(a.attempt == 9)
            }
        }
    }
}

/// A failure that must end its task after one attempt.
struct NonRetryableCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var failure: ActivityFailure
    var task: RetryPolicy?
    var workflow: RetryPolicy?
}

extension WorkflowEngineTests {
    @Suite("failures", .timeLimit(.minutes(1)))
    struct Failures {
        @Test(
            "A non-retryable failure ends the task after one attempt",
            arguments: [
                NonRetryableCase(
                    testDescription: "retryable false",
                    failure: ActivityFailure("no", type: "Fatal", retryable: false)),
                NonRetryableCase(
                    testDescription: "a type the task's policy lists", failure: ActivityFailure("no", type: "BadInput"),
                    task: RetryPolicy(nonRetryableErrorTypes: ["BadInput"])),
                NonRetryableCase(
                    testDescription: "a type the workflow's policy lists",
                    failure: ActivityFailure("no", type: "BadInput"),
                    workflow: RetryPolicy(nonRetryableErrorTypes: ["Other", "BadInput"])),
            ])
        func nonRetryable(_ scenario: NonRetryableCase) async throws {
            try await EngineHarness.run(script: { _ in .fail(scenario.failure) }) { h in
                let id = try await h.submit(
                    [task("a", retry: scenario.task)], options: WorkflowOptions(retryPolicy: scenario.workflow))
                let events = try await h.history(id)
                #expect(
                    events.summaries == [
                        "workflow_accepted 1", "task_started a#1", "task_failed a#1 \(scenario.failure.type) final",
                        "workflow_failed [a]",
                    ])
                #expect(h.executor.calls.count == 1)
                #expect(h.clock.sleeperCount == 0, "no retry is waiting")
                let a = try #require(try h.engine.snapshot(workflowID: id).tasks.first)
                #expect(a.status == .failed)
                #expect(a.attempt == 1)
                #expect(a.error == "no")
            }
        }

        @Test("When attempts run out, dependents are skipped naming the failed task; an independent branch completes")
        func maxAttemptsExhausted() async throws {
            try await EngineHarness.run(script: { activity in
                activity.task.id == "a"
                    ? .fail(ActivityFailure("boom", type: "Flaky")) : output("out-\(activity.task.id)")
            }) { h in
                // One slot, so the order is fixed: a (MEDIUM 20 + 2 for b) before d (also 22, later in the list).
                let id = try await h.submit(
                    [
                        task("a", retry: RetryPolicy(maxAttempts: 2)), task("b", after: "a"), task("c", after: "b"),
                        task("d"), task("e", after: "d"),
                    ],
                    options: WorkflowOptions(maxParallel: 1, failurePolicy: .continue))
                _ = try await h.events(id, through: "task_failed a#1")
                try await h.waitForSleepers(1, nextAt: .seconds(1))
                h.advance(to: .seconds(1))

                let events = try await h.history(id)
                #expect(
                    events.summaries == [
                        "workflow_accepted 5",
                        "task_started a#1",
                        "task_failed a#1 Flaky retry 1000ms",
                        "task_started a#2",
                        "task_failed a#2 Flaky final",
                        #"task_skipped b: dependency "a" failed"#,
                        #"task_skipped c: dependency "a" failed"#,
                        "task_started d#1",
                        #"task_completed d#1 "out-d""#,
                        "task_started e#1",
                        #"task_completed e#1 "out-e""#,
                        "workflow_failed [a]",
                    ])
                guard case .workflowFailed(let error, _, _) = events.last?.payload else { return }
                #expect(error == #"1 task(s) failed: "a""#)

                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .failed)
                #expect(snapshot.progress == Progress(completed: 5, total: 5, running: 0))
                #expect(snapshot.tasks.map(\.status) == [.failed, .skipped, .skipped, .completed, .completed])
                let skipped = #"dependency "a" failed"#
                #expect(snapshot.tasks.map(\.error) == ["boom", skipped, skipped, "", ""])
                #expect(snapshot.tasks.map(\.output) == ["", "", "", "out-d", "out-e"])
                #expect(snapshot.tasks.map(\.attempt) == [2, 0, 0, 1, 1])
                #expect(Set(h.executor.calls.map(\.activity.task.id)) == ["a", "d", "e"])
            }
        }

        @Test("FAIL_FAST: the first final failure cancels running activities and marks pending tasks CANCELLED")
        func failFast() async throws {
            try await EngineHarness.run { h in
                // a (22) and b (20) take the two slots; c (20) waits for one; d waits for a.
                let id = try await h.submit(
                    [task("a"), task("b"), task("c"), task("d", after: "a")],
                    options: WorkflowOptions(maxParallel: 2, failurePolicy: .failFast))
                let a = try await h.executor.waitForCall("a")
                let b = try await h.executor.waitForCall("b")
                a.fail(ActivityFailure("broken", retryable: false))
                try await b.waitForCancellation()

                let events = try await h.history(id)
                #expect(
                    canonical(events) == [
                        "workflow_accepted 4", "task_started a#1", "task_started b#1",
                        "task_failed a#1 ActivityError final",
                        "workflow_failed [a]",
                    ])
                guard case .workflowFailed(let error, _, _) = events.last?.payload else { return }
                #expect(error == #"task "a" failed: broken"#)
                #expect(h.now == .zero)
                #expect(h.executor.calls.map(\.activity.task.id).sorted() == ["a", "b"])
                #expect(h.executor.journal.last?.description == "ended b#1 cancelled")

                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .failed)
                #expect(snapshot.tasks.map(\.status) == [.failed, .cancelled, .cancelled, .cancelled])
                #expect(snapshot.progress == Progress(completed: 4, total: 4, running: 0))
            }
        }
        @Test("FAIL_FAST in BATCH mode: a failure that ends a batch starts no further batch")
        func failFastBatch() async throws {
            try await EngineHarness.run { h in
                // Batch 0 is [a, b] (a has a dependent); c and d would come later.
                let id = try await h.submit(
                    [task("a"), task("b"), task("c"), task("d", after: "a")],
                    options: WorkflowOptions(maxParallel: 2, mode: .batch, failurePolicy: .failFast))
                let a = try await h.executor.waitForCall("a")
                let b = try await h.executor.waitForCall("b")
                b.succeed("out-b")
                _ = try await h.events(id, through: "task_completed b#1")
                a.fail(ActivityFailure("broken", retryable: false))

                let events = try await h.history(id)
                #expect(
                    canonical(events) == [
                        "workflow_accepted 4", "batch_started 0 [a, b]", "task_started a#1", "task_started b#1",
                        #"task_completed b#1 "out-b""#, "task_failed a#1 ActivityError final",
                        #"batch_completed 0 [b="out-b"]"#, "workflow_failed [a]",
                    ])
                #expect(h.executor.calls.count == 2)
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .failed)
                #expect(snapshot.tasks.map(\.status) == [.failed, .completed, .cancelled, .cancelled])
                #expect(snapshot.tasks[1].output == "out-b")
            }
        }
    }
}

extension WorkflowEngineTests {
    @Suite("cancellation", .timeLimit(.minutes(1)))
    struct Cancellation {
        @Test("CancelWorkflow reaches a running activity at once, cancels pending and retrying tasks, ends the stream")
        func cancelRunningWorkflow() async throws {
            try await EngineHarness.run(script: { activity in
                activity.task.id == "r" ? .fail(ActivityFailure("flaky")) : .block()
            }) { h in
                let id = try await h.submit([task("a"), task("r"), task("b", after: "a")])
                let a = try await h.executor.waitForCall("a")
                // r waits for its retry.
                _ = try await h.events(id, through: "task_failed r#1")
                try await h.waitForSleepers(3, nextAt: .seconds(1))
                #expect(try h.tasks(id)["r"]?.status == .retrying)

                let status = try await h.engine.cancel(workflowID: id, reason: "no longer needed")
                #expect(status == .running || status == .cancelled)
                // No clock advance: cancellation reaches the activity by itself.
                try await a.waitForCancellation()
                let events = try await h.history(id)
                #expect(
                    canonical(events) == [
                        "workflow_accepted 3", "task_started a#1", "task_started r#1",
                        "task_failed r#1 ActivityError retry 1000ms",
                        "workflow_cancelled: no longer needed",
                    ])
                #expect(h.now == .zero)
                #expect(h.executor.calls.count == 2, "r's retry never started")
                #expect(h.clock.sleeperCount == 0)

                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .cancelled)
                #expect(snapshot.tasks.map(\.status) == [.cancelled, .cancelled, .cancelled])
                #expect(snapshot.progress == Progress(completed: 3, total: 3, running: 0))

                // Cancelling again changes nothing.
                #expect(try await h.engine.cancel(workflowID: id, reason: "again") == .cancelled)
                #expect(try await h.history(id) == events)
                #expect(try h.engine.snapshot(workflowID: id) == snapshot)
            }
        }

        @Test("Cancel with a wait returns once the workflow has ended")
        func cancelAndWait() async throws {
            try await EngineHarness.run { h in
                let id = try await h.submit([task("a")])
                let a = try await h.executor.waitForCall("a")
                let status = try await h.engine.cancel(workflowID: id, reason: "", wait: .seconds(10))
                #expect(status == .cancelled)
                #expect(a.wasCancelled)
                #expect(try await h.history(id).last?.payload.summary == "workflow_cancelled: cancelled by request")
            }
        }

        @Test("Cancelling a finished workflow is a no-op; an unknown one is NOT_FOUND")
        func cancelFinishedWorkflow() async throws {
            try await EngineHarness.run(script: { _ in output("ok") }) { h in
                let id = try await h.submit([task("a")])
                let events = try await h.history(id)
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .completed)
                #expect(try await h.engine.cancel(workflowID: id, reason: "too late") == .completed)
                #expect(try await h.history(id) == events)
                #expect(try h.engine.snapshot(workflowID: id) == snapshot)
                let error = await #expect(throws: EngineError.self) {
                    try await h.engine.cancel(workflowID: "wf-404", reason: "")
                }
                #expect(error?.code == .notFound)
            }
        }
    }
}

extension WorkflowEngineTests {
    @Suite("META expansion", .timeLimit(.minutes(1)))
    struct Expansion {
        @Test("A valid expansion's tasks run after the META task, appear in the snapshot, and grow the total")
        func validExpansion() async throws {
            let expansion = [task("x", .complex), task("y", after: "x")]
            try await EngineHarness.run(script: { activity in
                activity.task.id == "m"
                    ? output("planned", newTasks: expansion) : output("out-\(activity.task.id)")
            }) { h in
                // One slot. m is META 40 + 2 for z; after m, x (COMPLEX 30 + 2 for y) outranks z (SIMPLE 10); then
                // y (MEDIUM 20) outranks z.
                let id = try await h.submit([task("m", .meta), task("z", .simple, after: "m")],
                                            options: WorkflowOptions(maxParallel: 1))
                let events = try await h.history(id)
                #expect(
                    events.summaries == [
                        "workflow_accepted 2",
                        "task_started m#1", #"task_completed m#1 "planned""#,
                        "task_started x#1", #"task_completed x#1 "out-x""#,
                        "task_started y#1", #"task_completed y#1 "out-y""#,
                        "task_started z#1", #"task_completed z#1 "out-z""#,
                        "workflow_completed",
                    ])
                #expect(events.map(\.progress.total) == [2, 2, 4, 4, 4, 4, 4, 4, 4, 4])
                #expect(events.map(\.progress.completed) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
                let y = try #require(h.executor.call("y"))
                #expect(y.activity.task.dependsOn == ["x", "m"])

                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .completed)
                #expect(snapshot.tasks.map(\.taskID) == ["m", "z", "x", "y"])
                #expect(snapshot.tasks.map(\.status) == [.completed, .completed, .completed, .completed])
                #expect(snapshot.tasks.map(\.priority) == [42, 10, 32, 20])
                #expect(snapshot.progress == Progress(completed: 4, total: 4, running: 0))
            }
        }

        @Test("A new task appears in the snapshot as soon as the expansion is accepted, before it can start")
        func expansionVisibleBeforeStart() async throws {
            try await EngineHarness.run(script: { activity in
                switch activity.task.id {
                case "m": output("planned", newTasks: [task("x", .simple)])
                case "x": output("ok")
                default: .block()
                }
            }) { h in
                // Two slots: busy blocks one; after m, the ready "other" (MEDIUM 20) outranks x (SIMPLE 10) and blocks
                // the second slot, so x waits for a slot.
                let id = try await h.submit(
                    [task("busy"), task("m", .meta), task("other", after: "m")],
                    options: WorkflowOptions(maxParallel: 2))
                _ = try await h.executor.waitForCall("other")
                try await eventually("the snapshot lists x") { (try? h.tasks(id)["x"]) != nil }
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.tasks.map(\.taskID) == ["busy", "m", "other", "x"])
                #expect(snapshot.progress.total == 4)
                // Cancelling now must mark x CANCELLED too.
                try await h.engine.cancel(workflowID: id, reason: "stop", wait: .seconds(10))
                let final = try h.engine.snapshot(workflowID: id)
                #expect(final.status == .cancelled)
                #expect(final.tasks.map(\.status) == [.cancelled, .completed, .cancelled, .cancelled])
            }
        }

        @Test("An invalid expansion (a duplicate id) fails the META task with InvalidExpansion; dependents are skipped")
        func invalidExpansion() async throws {
            try await EngineHarness.run(script: { activity in
                activity.task.id == "m" ? output("planned", newTasks: [task("z")]) : output("ok")
            }) { h in
                let id = try await h.submit([task("m", .meta), task("z", .simple, after: "m")])
                let events = try await h.history(id)
                #expect(
                    events.summaries == [
                        "workflow_accepted 2", "task_started m#1", "task_failed m#1 InvalidExpansion final",
                        #"task_skipped z: dependency "m" failed"#, "workflow_failed [m]",
                    ])
                let message = #"invalid task expansion: expansion of task "m": task "z": "#
                    + "duplicate id (a task of the workflow already has it)"
                guard case .taskFailed(_, _, let error, _, _, _) = events[2].payload else { return }
                #expect(error == message)
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.status == .failed)
                #expect(snapshot.tasks.map(\.taskID) == ["m", "z"])
                #expect(snapshot.tasks.map(\.status) == [.failed, .skipped])
                #expect(snapshot.tasks[0].error == message)
                #expect(h.executor.calls.count == 1)
            }
        }

        @Test("An expansion task that depends on a task that already failed is skipped at once")
        func expansionDependingOnFailedTask() async throws {
            try await EngineHarness.run(script: { activity in
                switch activity.task.id {
                case "f": .fail(ActivityFailure("broken", retryable: false))
                default: .block()
                }
            }) { h in
                let id = try await h.submit([task("f"), task("m", .meta)])
                let m = try await h.executor.waitForCall("m")
                _ = try await h.events(id, through: "task_failed f#1")
                m.succeed("planned", newTasks: [task("x", after: "f")])
                let events = try await h.history(id)
                #expect(
                    canonical(events) == [
                        "workflow_accepted 2", "task_started f#1", "task_started m#1",
                        "task_failed f#1 ActivityError final",
                        #"task_completed m#1 "planned""#, #"task_skipped x: dependency "f" failed"#,
                        "workflow_failed [f]",
                    ])
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.tasks.map(\.taskID) == ["f", "m", "x"])
                #expect(snapshot.tasks.map(\.status) == [.failed, .completed, .skipped])
                #expect(snapshot.progress == Progress(completed: 3, total: 3, running: 0))
            }
        }
    }
}

/// Result streaming settings for a BATCH run.
struct StreamingCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var batchResults = true
    var engineResults = true
    var workflowResults: Bool?

    var streamsResults: Bool { workflowResults ?? engineResults }
}

extension WorkflowEngineTests {
    @Suite("scheduling modes", .timeLimit(.minutes(1)))
    struct Scheduling {
        @Test(
            "BATCH: batch_started, the tasks' events, then batch_completed with all the batch's results in batch order",
            arguments: [
                StreamingCase(testDescription: "defaults"),
                StreamingCase(testDescription: "STREAM_BATCH_RESULTS=false", batchResults: false),
                StreamingCase(testDescription: "ENABLE_RESULT_STREAMING=false", engineResults: false),
                StreamingCase(testDescription: "the workflow turns result streaming off", workflowResults: false),
            ])
        func batchEvents(_ scenario: StreamingCase) async throws {
            var config = EngineConfig()
            config.streamBatchResults = scenario.batchResults
            config.streamResults = scenario.engineResults
            try await EngineHarness.run(config: config) { h in
                // Priorities: a 25 (auth), b 20, c 18 (api), d 10.
                let id = try await h.submit(
                    [task("d", .simple), task("c", .simple, type: "api"), task("b"), task("a", .simple, type: "auth")],
                    options: WorkflowOptions(maxParallel: 2, mode: .batch, streamResults: scenario.workflowResults))
                for (first, second) in [("a", "b"), ("c", "d")] {
                    let firstCall = try await h.executor.waitForCall(first)
                    let secondCall = try await h.executor.waitForCall(second)
                    #expect(h.executor.calls.count == (first == "a" ? 2 : 4), "the next batch waits for this one")
                    // Complete in reverse order: batch_completed still lists results in batch order.
                    secondCall.succeed("out-\(second)")
                    _ = try await h.events(id, through: "task_completed \(second)#1")
                    firstCall.succeed("out-\(first)")
                }
                let events = try await h.history(id)
                let shown = { (task: String) in scenario.streamsResults ? "out-\(task)" : "" }
                func batch(_ index: Int, _ first: String, _ second: String) -> [String] {
                    [
                        "batch_started \(index) [\(first), \(second)]",
                        "task_started \(first)#1", "task_started \(second)#1",
                        "task_completed \(second)#1 \"\(shown(second))\"",
                        "task_completed \(first)#1 \"\(shown(first))\"",
                    ]
                        + (scenario.batchResults
                            ? ["batch_completed \(index) [\(first)=\"\(shown(first))\", "
                                + "\(second)=\"\(shown(second))\"]"]
                            : [])
                }
                #expect(
                    canonical(events) == ["workflow_accepted 4"] + batch(0, "a", "b") + batch(1, "c", "d")
                        + ["workflow_completed"])
                // The snapshot keeps every output whatever the events carry.
                let snapshot = try h.engine.snapshot(workflowID: id)
                #expect(snapshot.tasks.map(\.output) == ["out-d", "out-c", "out-b", "out-a"])
            }
        }

        @Test("EAGER starts ready tasks highest priority first when max_parallel limits, ties in submission order")
        func eagerStartOrder() async throws {
            try await EngineHarness.run(script: { activity in output("ok-\(activity.task.id)") }) { h in
                let spec = WorkflowSpec(
                    tasks: [
                        task("docs", .simple), task("tests", .medium, type: "tests"),
                        task("db", .medium, type: "database"),
                        task("auth", .complex, type: "auth"), task("api", .simple, type: "api"),
                        task("hot", .complex, type: "security", after: "db"), task("plain", .simple),
                    ],
                    options: WorkflowOptions(maxParallel: 1, mode: .eager))
                let submission = try await h.engine.submit(spec)
                let priorities = Dictionary(
                    uniqueKeysWithValues: submission.plan.flatMap(\.tasks).map { ($0.taskID, $0.priority) })
                #expect(
                    priorities == ["docs": 10, "tests": 15, "db": 34, "auth": 45, "api": 18, "hot": 45, "plain": 10])
                let events = try await h.history(submission.workflowID)
                // hot becomes ready when db completes and overtakes every task that was ready before it.
                #expect(
                    events.compactMap { event in
                        if case .taskStarted(let id, _, _) = event.payload { id } else { nil }
                    } == ["auth", "db", "hot", "api", "tests", "docs", "plain"])
                #expect(events.filter { $0.payload.kind == "task_started" }.allSatisfy { $0.progress.running == 1 })
            }
        }

        @Test("EAGER starts a task as soon as its dependencies are done, without waiting for the rest of its level")
        func eagerNoBarrier() async throws {
            try await EngineHarness.run(script: { activity in
                activity.task.id == "slow" ? .block() : output("ok")
            }) { h in
                let id = try await h.submit([task("slow"), task("fast"), task("next", after: "fast")],
                                            options: WorkflowOptions(maxParallel: 2, mode: .eager))
                let slow = try await h.executor.waitForCall("slow")
                _ = try await h.executor.waitForCall("next")
                #expect(try h.tasks(id)["slow"]?.status == .running)
                slow.succeed("done")
                #expect(try await h.history(id).last?.payload.summary == "workflow_completed")
            }
        }
    }
}

extension WorkflowEngineTests {
    @Suite("submission, listing, snapshots", .timeLimit(.minutes(1)))
    struct API {
        @Test("Resubmitting with the same request_id returns the same workflow, marked deduplicated")
        func idempotentSubmit() async throws {
            try await EngineHarness.run(script: { _ in output("ok") }) { h in
                let spec = WorkflowSpec(tasks: [task("a")], requestID: "req-1")
                let first = try await h.engine.submit(spec)
                let second = try await h.engine.submit(spec)
                #expect(!first.deduplicated)
                #expect(second.deduplicated)
                #expect(second.workflowID == first.workflowID)
                #expect(second.plan == first.plan)
                let other = try await h.engine.submit(WorkflowSpec(tasks: [task("a")], requestID: "req-2"))
                #expect(other.workflowID != first.workflowID)
                #expect(!other.deduplicated)
                let listed = try h.engine.list(pageSize: 10, pageToken: "", status: nil).workflows.map(\.workflowID)
                #expect(listed == [other.workflowID, first.workflowID])
                _ = try await h.history(first.workflowID)
                #expect(h.executor.calls.count == 2)
            }
        }

        @Test(
            "An invalid submission is INVALID_ARGUMENT and leaves nothing behind",
            arguments: [
                RefusedWorkflow("no tasks", []),
                RefusedWorkflow("a duplicate id", [task("a"), task("a")]),
                RefusedWorkflow("a cycle", [task("a", after: "b"), task("b", after: "a")]),
                RefusedWorkflow("an unknown dependency", [task("a", after: "ghost")]),
                RefusedWorkflow("an unknown executor", [task("a", executor: "exec:nope")]),
                RefusedWorkflow("max_parallel 0", [task("a")], options: WorkflowOptions(maxParallel: 0)),
            ])
        func invalidSubmission(_ refused: RefusedWorkflow) async throws {
            try await EngineHarness.run(script: { _ in output("ok") }) { h in
                let spec = WorkflowSpec(tasks: refused.tasks, options: refused.options, requestID: "req")
                let error = await #expect(throws: EngineError.self) { try await h.engine.submit(spec) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.isEmpty == false)
                #expect(try h.engine.list(pageSize: 10, pageToken: "", status: nil).workflows.isEmpty)
                // Nothing was kept under the request id either.
                let accepted = try await h.engine.submit(WorkflowSpec(tasks: [task("a")], requestID: "req"))
                #expect(!accepted.deduplicated)
                #expect(try h.engine.list(pageSize: 10, pageToken: "", status: nil).workflows.count == 1)
            }
        }

        @Test("ListWorkflows pages newest first with a next token, and filters by status")
        func listPaging() async throws {
            try await EngineHarness.run(script: { activity in
                activity.task.id == "hold" ? .block() : output("ok")
            }) { h in
                var ids: [String] = []
                for index in 1...5 {
                    ids.append(try await h.submit([task(index % 2 == 0 ? "hold" : "quick")]))
                }
                #expect(ids == ["wf-1", "wf-2", "wf-3", "wf-4", "wf-5"])
                for id in ["wf-1", "wf-3", "wf-5"] { _ = try await h.history(id) }
                try await eventually("wf-2 and wf-4 run") { h.executor.calls.count == 5 }

                func page(_ size: Int, _ token: String, _ status: WorkflowStatus? = nil) throws -> ([String], String) {
                    let (workflows, next) = try h.engine.list(pageSize: size, pageToken: token, status: status)
                    return (workflows.map(\.workflowID), next)
                }
                let first = try page(2, "")
                #expect(first.0 == ["wf-5", "wf-4"])
                #expect(!first.1.isEmpty)
                let second = try page(2, first.1)
                #expect(second.0 == ["wf-3", "wf-2"])
                let third = try page(2, second.1)
                #expect(third.0 == ["wf-1"])
                #expect(third.1 == "")

                #expect(try page(10, "", .running) == (["wf-4", "wf-2"], ""))
                let completed = try page(2, "", .completed)
                #expect(completed.0 == ["wf-5", "wf-3"])
                #expect(try page(2, completed.1, .completed) == (["wf-1"], ""))
                #expect(try page(10, "", .cancelled) == ([], ""))
                let summary = try #require(try h.engine.list(pageSize: 1, pageToken: "", status: nil).workflows.first)
                #expect(summary.status == .completed)
                #expect(summary.progress == Progress(completed: 1, total: 1, running: 0))

                let error = #expect(throws: EngineError.self) { try page(2, "not-a-token") }
                #expect(error?.code == .invalidArgument)
            }
        }

        @Test("Snapshot, watch and cancel of an unknown workflow are NOT_FOUND")
        func unknownWorkflow() async throws {
            try await EngineHarness.run { h in
                let snapshot = #expect(throws: EngineError.self) { try h.engine.snapshot(workflowID: "wf-unknown") }
                #expect(snapshot?.code == .notFound)
                #expect(snapshot?.message == #"workflow "wf-unknown" not found"#)
                let watch = await #expect(throws: EngineError.self) {
                    _ = try await h.engine.watch(workflowID: "wf-unknown", afterSequence: 0)
                }
                #expect(watch?.code == .notFound)
            }
        }
    }
}

/// A submission that must be refused, named for the test report.
struct RefusedWorkflow: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var tasks: [TaskSpec]
    var options: WorkflowOptions

    init(_ name: String, _ tasks: [TaskSpec], options: WorkflowOptions = WorkflowOptions()) {
        testDescription = name
        self.tasks = tasks
        self.options = options
    }
}

extension WorkflowEngineTests {
    @Suite("event sequences under concurrency", .timeLimit(.minutes(2)))
    struct Concurrency {
        private static let types = ["", "security", "database", "api", "tests", "docs"]

        /// A random DAG of `count` tasks, each depending on up to 3 earlier ones; a few are flaky or broken.
        private func randomWorkflow(_ random: inout SeededGenerator, index: Int, count: Int) -> WorkflowSpec {
            var tasks: [TaskSpec] = []
            for position in 0..<count {
                var dependencies: Set<String> = []
                if position > 0 {
                    for _ in 0..<Int.random(in: 0...3, using: &random) {
                        dependencies.insert("t\(Int.random(in: 0..<position, using: &random))")
                    }
                }
                let roll = Int.random(in: 0..<100, using: &random)
                // Every fourth workflow has failures; the others have only flaky tasks.
                let input = roll < 10 ? "flaky" : (index % 4 == 0 && roll < 14 ? "broken" : "")
                tasks.append(
                    TaskSpec(
                        id: "t\(position)", type: Self.types.randomElement(using: &random)!,
                        complexity: [Complexity.simple, .medium, .complex].randomElement(using: &random)!,
                        dependsOn: dependencies.sorted(), input: input))
            }
            let options = WorkflowOptions(
                maxParallel: Int.random(in: 1...8, using: &random), mode: index % 2 == 0 ? .eager : .batch,
                failurePolicy: .continue)
            return WorkflowSpec(description: "random \(index)", tasks: tasks, options: options)
        }

        @Test("20 workflows of 30 random-DAG tasks at once: each stream is 1…N in a valid order and fits its snapshot")
        func concurrentWorkflows() async throws {
            var config = EngineConfig()
            config.initialRetryInterval = .milliseconds(1)
            try await EngineHarness.run(config: config, live: true, script: { activity in
                switch activity.task.input {
                case "flaky" where activity.attempt == 1: .fail(ActivityFailure("first attempt fails"))
                case "broken": .fail(ActivityFailure("broken", retryable: false))
                default: output("out-\(activity.task.id)")
                }
            }) { h in
                var random = SeededGenerator(state: 0x5EED_CAFE)
                let specs = (0..<20).map { randomWorkflow(&random, index: $0, count: 30) }
                // Submit and watch all at once; each watcher follows its workflow live from the first event.
                let histories = try await withThrowingTaskGroup(of: (Int, String, [WorkflowEvent]).self) { group in
                    for (index, spec) in specs.enumerated() {
                        group.addTask {
                            let id = try await h.engine.submit(spec).workflowID
                            return (index, id, try await h.history(id))
                        }
                    }
                    var histories: [Int: (String, [WorkflowEvent])] = [:]
                    for try await (index, id, events) in group { histories[index] = (id, events) }
                    return histories
                }
                #expect(histories.count == 20)
                var failedWorkflows = 0
                for (index, spec) in specs.enumerated() {
                    let (id, events) = try #require(histories[index])
                    let checker = HistoryChecker(
                        workflowID: id, spec: spec, maxParallel: spec.options.maxParallel!, mode: spec.options.mode!)
                    let snapshot = try h.engine.snapshot(workflowID: id)
                    // Once a watcher has seen the end, the snapshot is final and names the terminal event.
                    #expect(snapshot.lastSequence == UInt64(events.count))
                    checker.check(events, snapshot: snapshot)
                    // A watcher arriving after the end replays the identical stream.
                    #expect(try await h.history(id) == events)
                    if events.last?.payload.kind == "workflow_failed" { failedWorkflows += 1 }
                }
                #expect(failedWorkflows > 0 && failedWorkflows < 20, "the seed gives both outcomes")
            }
        }
    }
}
