import Synchronization
import Testing
import WeftEngine

/// The engine's side of the semantic result cache (`ResultCache`), with an in-test cache whose answers the test
/// scripts per task: what is asked (task, constraints, per-workflow thresholds), what each answer does to the run
/// (REUSE completes without running, ADAPT runs with the reference, MISS runs), what is stored (only successes),
/// what bypasses the cache (`cacheable: false`, `options.cache.disabled`, META), and the cache summary in the
/// snapshot and the terminal event. Time is virtual (``EngineHarness``'s manual clock).
@Suite("Result cache in the engine", .timeLimit(.minutes(1)))
struct ResultCacheTests {
    // MARK: The cache double

    /// A ``ResultCache`` that answers each lookup with the decision the test scripted for the task's id (a miss
    /// when none), and records every lookup and store.
    final class ScriptedCache: ResultCache {
        struct Lookup: Sendable, Hashable {
            var taskID: String
            var executor: String
            var description: String
            var constraints: [String: String]
            var reuseThreshold: Double?
            var similarityThreshold: Double?
        }

        struct Store: Sendable, Hashable {
            var taskID: String
            var output: String
            var source: String
            var duration: Duration
        }

        private struct State {
            var lookups: [Lookup] = []
            var stores: [Store] = []
        }

        private let decide: @Sendable (TaskSpec) -> ResultCacheLookup.Decision
        private let state = Mutex(State())

        init(_ decide: @escaping @Sendable (TaskSpec) -> ResultCacheLookup.Decision = { _ in .miss }) {
            self.decide = decide
        }

        var lookups: [Lookup] { state.withLock { $0.lookups } }
        var stores: [Store] { state.withLock { $0.stores } }

        func lookup(task: TaskSpec, constraints: [String: String], reuseThreshold: Double?, similarityThreshold: Double?)
            async -> ResultCacheLookup
        {
            state.withLock {
                $0.lookups.append(Lookup(
                    taskID: task.id, executor: task.executor, description: task.description, constraints: constraints,
                    reuseThreshold: reuseThreshold, similarityThreshold: similarityThreshold))
            }
            // The token comes back in `store`: it must name the task the lookup was for.
            return ResultCacheLookup(decision: decide(task), token: task.id)
        }

        func store(_ output: String, for lookup: ResultCacheLookup, source: String, duration: Duration) async {
            let taskID = lookup.token as? String ?? "(no token)"
            state.withLock { $0.stores.append(Store(taskID: taskID, output: output, source: source, duration: duration)) }
        }
    }

    /// A ``ResultCache`` whose lookups wait until the test releases them (a slow embedder or Redis), then answer
    /// with `decision`.
    final class GatedCache: ResultCache {
        private struct State {
            var waiting: [CheckedContinuation<Void, Never>] = []
            var released = false
            var stores = 0
        }

        private let decision: ResultCacheLookup.Decision
        private let state = Mutex(State())

        init(_ decision: ResultCacheLookup.Decision) { self.decision = decision }

        var waitingCount: Int { state.withLock { $0.waiting.count } }
        var storeCount: Int { state.withLock { $0.stores } }

        func release() {
            let waiting = state.withLock { state in
                state.released = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }

        func lookup(task: TaskSpec, constraints: [String: String], reuseThreshold: Double?, similarityThreshold: Double?)
            async -> ResultCacheLookup
        {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.released { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
            return ResultCacheLookup(decision: decision)
        }

        func store(_ output: String, for lookup: ResultCacheLookup, source: String, duration: Duration) async {
            state.withLock { $0.stores += 1 }
        }
    }

    // MARK: Helpers

    /// ``EngineHarness/run(config:live:script:_:)`` with `cache` given to the engine: the same engine (the `sim`
    /// executor and the scripted `test` executor on a manual clock, ids `wf-1`, `wf-2`, …).
    static func run<T: Sendable>(
        cache: any ResultCache,
        config: EngineConfig = EngineConfig(),
        script: @escaping @Sendable (Activity) -> ScriptedExecutor.Behavior = { _ in .block() },
        _ body: (EngineHarness) async throws -> T
    ) async throws -> T {
        var config = config
        config.defaultExecutor = "test"
        let clock = ManualClock()
        let engineClock = EngineClock(clock: clock, unixMilliseconds: { UInt64(milliseconds(clock.now.offset)) })
        let executor = ScriptedExecutor(now: { engineClock.now() }, script: script)
        let executors = ExecutorRegistry(sim: SimExecutor(clock: engineClock), exec: nil, others: ["test": executor])
        let eventLog = InMemoryEventLog(config: config, clock: clock)
        let ids = Mutex(0)
        let engine = WorkflowEngine(
            config: config, executors: executors, eventLog: eventLog, cache: cache, clock: engineClock,
            makeID: { "wf-\(ids.withLock { $0 += 1; return $0 })" })
        let harness = EngineHarness(clock: clock, engine: engine, executor: executor, eventLog: eventLog)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            defer { group.cancelAll() }
            return try await body(harness)
        }
    }

    static func task(
        _ id: String, _ complexity: Complexity = .medium, after dependencies: String..., executor: String = "",
        input: String = "", cacheable: Bool = true, retry: RetryPolicy? = nil
    ) -> TaskSpec {
        TaskSpec(
            id: id, type: "api", complexity: complexity, description: "task \(id)", dependsOn: dependencies,
            executor: executor, input: input, retryPolicy: retry, cacheable: cacheable)
    }

    static func succeed(_ output: String) -> ScriptedExecutor.Behavior { .succeed(ActivityOutput(output: output)) }

    /// The cache summary of the terminal event.
    static func terminalSummary(_ events: [WorkflowEvent]) -> CacheSummary? {
        switch events.last?.payload {
        case .workflowCompleted(_, _, let cache), .workflowFailed(_, _, let cache): cache
        default: nil
        }
    }

    /// The result carried by each `task_completed` event, by task id.
    static func completions(_ events: [WorkflowEvent]) -> [String: TaskResult] {
        var results: [String: TaskResult] = [:]
        for event in events {
            if case .taskCompleted(let result) = event.payload { results[result.taskID] = result }
        }
        return results
    }

    static func summary(reused: Int = 0, adapted: Int = 0, missed: Int = 0, saved: Duration = .zero) -> CacheSummary {
        var summary = CacheSummary()
        summary.reused = reused
        summary.adapted = adapted
        summary.missed = missed
        summary.timeSaved = saved
        return summary
    }

    // MARK: Bypass

    @Test("A task with cacheable: false neither reads nor writes the cache: BYPASSED, not counted")
    func notCacheable() async throws {
        let cache = ScriptedCache { _ in
            .reuse(output: "must not be served", similarity: 1, source: "wf-0/x", originalDuration: .seconds(9))
        }
        try await Self.run(cache: cache, script: { _ in Self.succeed("fresh") }) { h in
            let id = try await h.submit([Self.task("private", cacheable: false)])
            let events = try await h.history(id)
            #expect(events.summaries == [
                "workflow_accepted 1", "task_started private#1", #"task_completed private#1 "fresh""#,
                "workflow_completed",
            ])
            #expect(cache.lookups.isEmpty)
            #expect(cache.stores.isEmpty)
            #expect(h.executor.calls.map(\.activity.task.id) == ["private"])
            #expect(h.executor.calls.first?.activity.reference == nil)
            #expect(Self.completions(events)["private"]?.cache == .bypassed)
            let snapshot = try h.engine.snapshot(workflowID: id)
            #expect(snapshot.tasks.first?.cache == .bypassed)
            #expect(snapshot.cache == CacheSummary())
            #expect(Self.terminalSummary(events) == CacheSummary())
        }
    }

    @Test("options.cache.disabled: no task of the workflow reads or writes the cache; another workflow still does")
    func disabledPerWorkflow() async throws {
        let cache = ScriptedCache { _ in
            .reuse(output: "cached", similarity: 1, source: "wf-0/x", originalDuration: .seconds(1))
        }
        try await Self.run(cache: cache, script: { activity in Self.succeed("ran \(activity.task.id)") }) { h in
            let off = try await h.submit(
                [Self.task("a"), Self.task("b", after: "a")],
                options: WorkflowOptions(cache: CacheOptions(disabled: true)))
            let events = try await h.history(off)
            #expect(cache.lookups.isEmpty && cache.stores.isEmpty)
            #expect(h.executor.calls.map(\.activity.task.id) == ["a", "b"])
            #expect(Self.completions(events).mapValues(\.cache) == ["a": .bypassed, "b": .bypassed])
            #expect(try h.engine.snapshot(workflowID: off).cache == CacheSummary())
            #expect(Self.terminalSummary(events) == CacheSummary())

            // The same tasks with the cache on are answered by it.
            let on = try await h.submit([Self.task("a"), Self.task("b", after: "a")])
            _ = try await h.history(on)
            #expect(cache.lookups.map(\.taskID) == ["a", "b"])
            #expect(h.executor.calls.count == 2)
        }
    }

    @Test("META tasks bypass the cache (their value is the expansion); the tasks they add use it")
    func metaBypasses() async throws {
        let cache = ScriptedCache()
        try await Self.run(cache: cache, script: { activity in
            activity.task.id == "plan"
                ? .succeed(ActivityOutput(output: "planned", newTasks: [TaskSpec(id: "added", description: "added")]))
                : Self.succeed("done")
        }) { h in
            let id = try await h.submit([Self.task("plan", .meta)])
            let events = try await h.history(id)
            #expect(events.last?.payload.kind == "workflow_completed")
            #expect(cache.lookups.map(\.taskID) == ["added"])
            #expect(cache.stores.map(\.taskID) == ["added"])
            #expect(Self.completions(events).mapValues(\.cache) == ["plan": .bypassed, "added": .miss])
            #expect(try h.engine.snapshot(workflowID: id).cache == Self.summary(missed: 1))
        }
    }

    // MARK: Stores

    @Test("A MISS runs the task and stores its result once, with the source, the duration and the lookup's token")
    func missRunsAndStores() async throws {
        let cache = ScriptedCache()
        try await Self.run(cache: cache) { h in
            let id = try await h.submit([Self.task("a")])
            let call = try await h.executor.waitForCall("a")
            #expect(call.activity.reference == nil)
            _ = try await h.events(id, through: "task_started a#1")
            try await h.waitForSleepers(2)
            h.advance(to: .milliseconds(1500))
            call.succeed("built")
            let events = try await h.history(id)
            #expect(Self.completions(events)["a"]?.cache == .miss)
            #expect(cache.stores == [
                ScriptedCache.Store(taskID: "a", output: "built", source: "\(id)/a", duration: .milliseconds(1500)),
            ])
            #expect(try h.engine.snapshot(workflowID: id).cache == Self.summary(missed: 1))
        }
    }

    @Test("Failed results are never stored: a task failing for good stores nothing; a retried task stores its success")
    func failuresNeverStored() async throws {
        let cache = ScriptedCache()
        try await Self.run(cache: cache, script: { activity in
            switch (activity.task.id, activity.attempt) {
            case ("broken", _): .fail(ActivityFailure("boom", type: "Broken", retryable: false))
            case ("flaky", 1): .fail(ActivityFailure("hiccup", type: "Flaky"))
            default: Self.succeed("ok on \(activity.attempt)")
            }
        }) { h in
            let id = try await h.submit([
                Self.task("broken"), Self.task("flaky", retry: RetryPolicy(maxAttempts: 2)),
                Self.task("after-broken", after: "broken"),
            ])
            // flaky's retry waits 1 s of virtual time.
            _ = try await h.events(id, through: "task_failed flaky#1")
            try await h.waitForSleepers(1, nextAt: .seconds(1))
            h.advance(to: .seconds(1))
            let events = try await h.history(id)
            #expect(events.last?.payload.summary == "workflow_failed [broken]")
            #expect(Set(cache.lookups.map(\.taskID)) == ["broken", "flaky"])
            #expect(cache.stores.map(\.taskID) == ["flaky"])
            #expect(cache.stores.first?.output == "ok on 2")
            let snapshot = try h.engine.snapshot(workflowID: id)
            // Only the completed miss is counted; the failed task has no cache outcome.
            #expect(snapshot.cache == Self.summary(missed: 1))
            #expect(Self.terminalSummary(events) == snapshot.cache)
            let states = try h.tasks(id)
            #expect(states["broken"]?.status == .failed && states["broken"]?.cache == nil)
            #expect(states["after-broken"]?.status == .skipped)
        }
    }

    @Test("A failed ADAPT run is not stored and saves nothing")
    func failedAdaptNotStored() async throws {
        let reference = TaskResult(taskID: "wf-0/a", output: "old", cache: .miss, attempt: 1, duration: .seconds(4))
        let cache = ScriptedCache { _ in
            .adapt(reference: reference, similarity: 0.9, source: "wf-0/a", originalDuration: .seconds(4))
        }
        try await Self.run(cache: cache, script: { _ in
            .fail(ActivityFailure("cannot adapt", type: "Broken", retryable: false))
        }) { h in
            let id = try await h.submit([Self.task("a")])
            let events = try await h.history(id)
            #expect(events.last?.payload.summary == "workflow_failed [a]")
            #expect(h.executor.calls.first?.activity.reference == reference)
            #expect(cache.stores.isEmpty)
            #expect(try h.engine.snapshot(workflowID: id).cache == CacheSummary())
            #expect(Self.terminalSummary(events) == CacheSummary())
        }
    }

    // MARK: Reuse

    @Test("REUSE completes the task with the cached output without calling the executor: attempt 0, no task_started")
    func reuseSkipsExecutor() async throws {
        let cache = ScriptedCache { task in
            task.id == "a"
                ? .reuse(output: "cached a", similarity: 0.97, source: "wf-0/a", originalDuration: .milliseconds(2500))
                : .miss
        }
        try await Self.run(cache: cache, script: { activity in Self.succeed("ran \(activity.task.id)") }) { h in
            h.advance(to: .seconds(5))
            let id = try await h.submit([Self.task("a"), Self.task("b", after: "a")])
            let events = try await h.history(id)
            #expect(events.summaries == [
                "workflow_accepted 2",
                #"task_completed a#0 "cached a""#,
                "task_started b#1", #"task_completed b#1 "ran b""#,
                "workflow_completed",
            ])
            // The executor ran only b; a was never started.
            #expect(h.executor.calls.map(\.activity.task.id) == ["b"])
            #expect(!events.contains { $0.payload.kind == "task_started" && $0.payload.taskID == "a" })
            let a = try #require(Self.completions(events)["a"])
            #expect(a.cache == .reused(similarity: 0.97, source: "wf-0/a"))
            #expect(a.attempt == 0 && a.duration == .zero && a.output == "cached a")
            // A reused result is not stored again; b's (a miss) is.
            #expect(cache.stores.map(\.taskID) == ["b"])

            let snapshot = try h.engine.snapshot(workflowID: id)
            let state = try #require(snapshot.tasks.first { $0.taskID == "a" })
            #expect(state.status == .completed)
            #expect(state.attempt == 0)
            #expect(state.output == "cached a")
            #expect(state.cache == .reused(similarity: 0.97, source: "wf-0/a"))
            #expect(state.startedUnixMs == 5000 && state.finishedUnixMs == 5000)
            #expect(snapshot.cache == Self.summary(reused: 1, missed: 1, saved: .milliseconds(2500)))
            #expect(Self.terminalSummary(events) == snapshot.cache)
            guard case .workflowCompleted(_, let taskTime, _) = events.last?.payload else {
                Issue.record("no workflow_completed")
                return
            }
            // A reused task adds no task time.
            #expect(taskTime == .zero)
        }
    }

    // MARK: Adapt

    @Test("ADAPT runs the task with the reference in activity.reference; time saved = original − this run")
    func adaptDeliversReferenceToExecutor() async throws {
        let reference = TaskResult(
            taskID: "wf-0/login", output: "def login(): ...", cache: .miss, attempt: 1, duration: .seconds(10))
        let cache = ScriptedCache { task in
            task.id == "login"
                ? .adapt(reference: reference, similarity: 0.9, source: "wf-0/login", originalDuration: .seconds(10))
                : .miss
        }
        try await Self.run(cache: cache) { h in
            let id = try await h.submit([Self.task("login"), Self.task("other")])
            let login = try await h.executor.waitForCall("login")
            let other = try await h.executor.waitForCall("other")
            #expect(login.activity.reference == reference)
            #expect(login.activity.reference?.output == "def login(): ...")
            #expect(other.activity.reference == nil)
            _ = try await h.events(id) { events in events.filter { $0.payload.kind == "task_started" }.count == 2 }
            try await h.waitForSleepers(4)
            h.advance(to: .seconds(3))
            login.succeed("def login(): adapted")
            other.succeed("other")
            let events = try await h.history(id)
            let result = try #require(Self.completions(events)["login"])
            #expect(result.cache == .adapted(similarity: 0.9, source: "wf-0/login"))
            #expect(result.attempt == 1 && result.duration == .seconds(3))
            // An adapted result is stored (it is a success), under this workflow's task.
            #expect(Set(cache.stores.map(\.taskID)) == ["login", "other"])
            #expect(cache.stores.first { $0.taskID == "login" }?.output == "def login(): adapted")
            #expect(cache.stores.first { $0.taskID == "login" }?.source == "\(id)/login")
            let snapshot = try h.engine.snapshot(workflowID: id)
            #expect(snapshot.cache == Self.summary(adapted: 1, missed: 1, saved: .seconds(7)))
            #expect(Self.terminalSummary(events) == snapshot.cache)
        }
    }

    @Test("ADAPT on sim: works adapt_fraction × duration_ms in virtual time; the output names the reference")
    func adaptOnSim() async throws {
        let reference = TaskResult(taskID: "wf-0/docs", output: "old docs", cache: .miss, attempt: 1, duration: .seconds(1))
        let cache = ScriptedCache { task in
            task.id == "docs"
                ? .adapt(reference: reference, similarity: 0.88, source: "wf-0/docs", originalDuration: .seconds(1))
                : .miss
        }
        try await Self.run(cache: cache) { h in
            let id = try await h.submit([
                Self.task("docs", executor: "sim", input: #"{"duration_ms": 1000, "adapt_fraction": 0.25}"#),
            ])
            _ = try await h.events(id, through: "task_started docs#1")
            // sim sleeps in heartbeat steps (100 ms) to 250 ms, not 1000 ms; the runner's two timers sleep too.
            for step in [100, 200, 250] {
                try await h.waitForSleepers(3, nextAt: .milliseconds(step))
                h.advance(to: .milliseconds(step))
            }
            let events = try await h.history(id)
            let completed = try #require(events.first { $0.payload.kind == "task_completed" })
            #expect(completed.timeUnixMs == 250)
            let result = try #require(Self.completions(events)["docs"])
            #expect(result.duration == .milliseconds(250))
            #expect(result.output == "sim: task docs (api, MEDIUM) completed on attempt 1, adapted from the result of task wf-0/docs")
            #expect(result.cache == .adapted(similarity: 0.88, source: "wf-0/docs"))
            #expect(try h.engine.snapshot(workflowID: id).cache == Self.summary(adapted: 1, saved: .milliseconds(750)))
        }
    }

    @Test("Without a reference (a MISS) sim works the whole duration_ms and names no reference")
    func missOnSimRunsFullDuration() async throws {
        let cache = ScriptedCache()
        try await Self.run(cache: cache) { h in
            let id = try await h.submit([
                Self.task("docs", executor: "sim", input: #"{"duration_ms": 300, "adapt_fraction": 0.25, "heartbeat_ms": 1000}"#),
            ])
            _ = try await h.events(id, through: "task_started docs#1")
            try await h.waitForSleepers(3, nextAt: .milliseconds(300))
            h.advance(to: .milliseconds(300))
            let events = try await h.history(id)
            let result = try #require(Self.completions(events)["docs"])
            #expect(result.duration == .milliseconds(300))
            #expect(result.output == "sim: task docs (api, MEDIUM) completed on attempt 1")
            #expect(result.cache == .miss)
        }
    }

    // MARK: What the cache is asked

    @Test("Lookups carry the resolved task, the workflow's constraints and its thresholds (nil when not set)")
    func lookupArguments() async throws {
        let cache = ScriptedCache()
        try await Self.run(cache: cache, script: { _ in Self.succeed("ok") }) { h in
            let tuned = try await h.engine.submit(WorkflowSpec(
                constraints: ["language": "go", "framework": "gin"],
                tasks: [Self.task("a"), Self.task("s", executor: "sim", input: #"{"duration_ms": 0}"#)],
                options: WorkflowOptions(cache: CacheOptions(reuseThreshold: 0.99, similarityThreshold: 0.7))))
                .workflowID
            _ = try await h.history(tuned)
            let plain = try await h.engine.submit(WorkflowSpec(tasks: [Self.task("b")])).workflowID
            _ = try await h.history(plain)
            let onlyReuse = try await h.engine.submit(WorkflowSpec(
                tasks: [Self.task("c")], options: WorkflowOptions(cache: CacheOptions(reuseThreshold: 0.9))))
                .workflowID
            _ = try await h.history(onlyReuse)

            let lookups = Dictionary(uniqueKeysWithValues: cache.lookups.map { ($0.taskID, $0) })
            #expect(lookups.count == 4)
            let goGin: [String: String] = ["language": "go", "framework": "gin"]
            #expect(lookups["a"] == ScriptedCache.Lookup(
                taskID: "a", executor: "test", description: "task a", constraints: goGin, reuseThreshold: 0.99,
                similarityThreshold: 0.7))
            #expect(lookups["s"]?.executor == "sim")
            #expect(lookups["s"]?.constraints == goGin)
            #expect(lookups["b"] == ScriptedCache.Lookup(
                taskID: "b", executor: "test", description: "task b", constraints: [:], reuseThreshold: nil,
                similarityThreshold: nil))
            #expect(lookups["c"]?.reuseThreshold == 0.9 && lookups["c"]?.similarityThreshold == nil)
        }
    }

    // MARK: The summary

    @Test("The cache summary (reused, adapted, missed, time saved) is in the snapshot and in workflow_completed")
    func summaryInSnapshotAndEvent() async throws {
        let reference = TaskResult(taskID: "wf-0/adapt", output: "ref", cache: .miss, attempt: 1, duration: .seconds(5))
        let cache = ScriptedCache { task in
            switch task.id {
            case "reuse1": .reuse(output: "r1", similarity: 1, source: "wf-0/reuse1", originalDuration: .seconds(2))
            case "reuse2": .reuse(output: "r2", similarity: 0.95, source: "wf-0/reuse2", originalDuration: .milliseconds(1500))
            case "adapt": .adapt(reference: reference, similarity: 0.85, source: "wf-0/adapt", originalDuration: .seconds(5))
            default: .miss
            }
        }
        try await Self.run(cache: cache, script: { activity in Self.succeed("ran \(activity.task.id)") }) { h in
            let id = try await h.submit([
                Self.task("reuse1"), Self.task("reuse2", after: "reuse1"), Self.task("adapt", after: "reuse1"),
                Self.task("miss"), Self.task("private", after: "adapt", cacheable: false),
            ])
            let events = try await h.history(id)
            #expect(events.last?.payload.kind == "workflow_completed")
            #expect(Self.completions(events).mapValues(\.cache) == [
                "reuse1": .reused(similarity: 1, source: "wf-0/reuse1"),
                "reuse2": .reused(similarity: 0.95, source: "wf-0/reuse2"),
                "adapt": .adapted(similarity: 0.85, source: "wf-0/adapt"),
                "miss": .miss,
                "private": .bypassed,
            ])
            // The scripted executor finishes at once: the adapt run takes 0 s and saves all of its 5 s.
            let expected = Self.summary(reused: 2, adapted: 1, missed: 1, saved: .milliseconds(8500))
            let snapshot = try h.engine.snapshot(workflowID: id)
            #expect(snapshot.cache == expected)
            #expect(Self.terminalSummary(events) == expected)
            #expect(Set(h.executor.calls.map(\.activity.task.id)) == ["adapt", "miss", "private"])
            #expect(Set(cache.stores.map(\.taskID)) == ["adapt", "miss"])
        }
    }

    @Test("workflow_failed carries the cache summary too")
    func summaryInWorkflowFailed() async throws {
        let cache = ScriptedCache { task in
            task.id == "cached"
                ? .reuse(output: "c", similarity: 0.99, source: "wf-0/cached", originalDuration: .seconds(3))
                : .miss
        }
        try await Self.run(cache: cache, script: { activity in
            activity.task.id == "broken" ? .fail(ActivityFailure("boom", retryable: false)) : Self.succeed("ok")
        }) { h in
            let id = try await h.submit([Self.task("cached"), Self.task("broken", after: "cached")])
            let events = try await h.history(id)
            #expect(events.last?.payload.summary == "workflow_failed [broken]")
            let expected = Self.summary(reused: 1, saved: .seconds(3))
            #expect(Self.terminalSummary(events) == expected)
            #expect(try h.engine.snapshot(workflowID: id).cache == expected)
        }
    }

    @Test("BATCH mode: a reused task completes inside its batch, and the batch still ends")
    func reuseInBatchMode() async throws {
        let cache = ScriptedCache { task in
            task.id == "a" ? .reuse(output: "A", similarity: 1, source: "wf-0/a", originalDuration: .seconds(1)) : .miss
        }
        try await Self.run(cache: cache, script: { activity in Self.succeed("ran \(activity.task.id)") }) { h in
            let id = try await h.submit(
                [Self.task("a"), Self.task("b"), Self.task("c", after: "a", "b")],
                options: WorkflowOptions(mode: .batch))
            let events = try await h.history(id)
            #expect(events.last?.payload.kind == "workflow_completed")
            #expect(events.filter { $0.payload.kind == "batch_started" }.count == 2)
            #expect(h.executor.calls.map(\.activity.task.id).sorted() == ["b", "c"])
            #expect(try h.engine.snapshot(workflowID: id).cache == Self.summary(reused: 1, missed: 2, saved: .seconds(1)))
        }
    }

    // MARK: Cancellation

    @Test("Cancelled while the cache answers: the task ends CANCELLED, a cached result is not used, nothing runs",
          arguments: ["reuse", "adapt"])
    func cancelledDuringLookup(kind: String) async throws {
        let reference = TaskResult(taskID: "wf-0/a", output: "ref", cache: .miss, attempt: 1, duration: .seconds(1))
        let cache = GatedCache(kind == "reuse"
            ? .reuse(output: "cached", similarity: 1, source: "wf-0/a", originalDuration: .seconds(1))
            : .adapt(reference: reference, similarity: 0.9, source: "wf-0/a", originalDuration: .seconds(1)))
        try await Self.run(cache: cache, script: { _ in Self.succeed("ran") }) { h in
            let id = try await h.submit([Self.task("a"), Self.task("b", after: "a")])
            try await eventually("the lookup waits") { cache.waitingCount == 1 }
            _ = try await h.engine.cancel(workflowID: id, reason: "stop")
            // The loop has handled the cancellation (and cancelled the activity) once the pending task is cancelled.
            try await eventually("b is cancelled") { (try? h.tasks(id)["b"]?.status) == .cancelled }
            cache.release()
            let events = try await h.history(id)
            #expect(events.summaries == ["workflow_accepted 2", "workflow_cancelled: stop"])
            let snapshot = try h.engine.snapshot(workflowID: id)
            #expect(snapshot.status == .cancelled)
            #expect(snapshot.tasks.map(\.status) == [.cancelled, .cancelled])
            #expect(snapshot.tasks.first?.output == "")
            #expect(snapshot.tasks.first?.cache == nil)
            #expect(snapshot.cache == CacheSummary())
            #expect(h.executor.calls.isEmpty)
            #expect(cache.storeCount == 0)
        }
    }
}
