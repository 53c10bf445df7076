import Testing
import WeftEngine

/// Graph building shared by the scheduling suites.
enum SchedulingFixtures {
    static let config = EngineConfig()

    /// A graph from tasks written as `id: complexity type <- dependencies`.
    static func graph(_ tasks: [TaskSpec], config: EngineConfig = config) throws -> TaskGraph {
        try WorkflowValidator.validate(WorkflowSpec(tasks: tasks), config: config) { _ in true }
    }

    static func task(
        _ id: String,
        _ complexity: Complexity = .medium,
        type: String = "",
        _ dependsOn: String...
    )
        -> TaskSpec
    {
        TaskSpec(id: id, type: type, complexity: complexity, dependsOn: dependsOn)
    }
}

@Suite("Scheduler: batch and eager modes, failures, cancellation")
struct SchedulerTests {
    typealias F = SchedulingFixtures

    @Test("BATCH forms each batch from the ready set in priority order and streams completions")
    func batchFormationOrder() throws {
        let graph = try AuthMicroservice.graph()
        let i = { (id: String) in graph.index(of: id)! }
        var scheduler = Scheduler(graph: graph, mode: .batch, maxParallel: 5)
        #expect(
            scheduler.start() == [.batchStarted(index: 0, tasks: [i("project_setup")]), .start(i("project_setup"))]
        )
        #expect(
            scheduler.succeeded(i("project_setup")) == [
                .batchCompleted(index: 0, tasks: [i("project_setup")]),
                .batchStarted(index: 1, tasks: [i("db_schema"), i("password_hashing")]),
                .start(i("db_schema")), .start(i("password_hashing")),
            ]
        )
        // Nothing happens until the whole batch is done.
        #expect(scheduler.succeeded(i("password_hashing")) == [])
        #expect(scheduler.runningCount == 1)
        // session_store 32, user_model 22, audit_log 10.
        let third = [i("session_store"), i("user_model"), i("audit_log")]
        #expect(
            scheduler.succeeded(i("db_schema")) == [
                .batchCompleted(index: 1, tasks: [i("db_schema"), i("password_hashing")]),
                .batchStarted(index: 2, tasks: third),
            ] + third.map(SchedulerEvent.start)
        )

        var batches: [[String]] = []
        var running = third
        while !running.isEmpty {
            var events: [SchedulerEvent] = []
            for task in running { events += scheduler.succeeded(task) }
            running = []
            for case .batchStarted(_, let tasks) in events {
                batches.append(tasks.map { graph.tasks[$0].id })
                running = tasks
            }
        }
        #expect(
            batches == [
                ["auth_service"], ["jwt_tokens", "registration_api"], ["login_api"], ["integration_tests", "api_docs"],
            ]
        )
        #expect(scheduler.isFinished)
    }

    @Test("BATCH cuts the ready set into batches of at most maxParallel and runs the whole cut before a new one")
    func batchCutting() throws {
        // r0…r6 are ready at once; `late` (META, the highest priority) becomes ready when r6 is done, in batch 0.
        let graph = try F.graph([
            F.task("r0", .simple), F.task("r1", .medium), F.task("r2", .complex), F.task("r3", .simple),
            F.task("r4", .medium), F.task("r5", .complex), F.task("r6", .meta), F.task("late", .meta, "r6"),
        ])
        var scheduler = Scheduler(graph: graph, mode: .batch, maxParallel: 3)
        #expect(scheduler.start() == [.batchStarted(index: 0, tasks: [6, 2, 5]), .start(6), .start(2), .start(5)])
        #expect(scheduler.runningCount == 3)
        _ = scheduler.succeeded(6)
        _ = scheduler.succeeded(2)
        #expect(
            scheduler.succeeded(5) == [
                .batchCompleted(index: 0, tasks: [6, 2, 5]), .batchStarted(index: 1, tasks: [1, 4, 0]),
                .start(1), .start(4), .start(0),
            ]
        )
        _ = scheduler.succeeded(1)
        _ = scheduler.succeeded(4)
        #expect(
            scheduler.succeeded(0) == [
                .batchCompleted(index: 1, tasks: [1, 4, 0]), .batchStarted(index: 2, tasks: [3]), .start(3),
            ]
        )
        #expect(
            scheduler.succeeded(3) == [
                .batchCompleted(index: 2, tasks: [3]), .batchStarted(index: 3, tasks: [7]), .start(7),
            ]
        )
        #expect(scheduler.succeeded(7) == [.batchCompleted(index: 3, tasks: [7])])
        #expect(scheduler.isFinished)
    }

    @Test("EAGER starts the highest-priority ready task whenever a slot is free")
    func eagerStartOrder() throws {
        let graph = try F.graph([
            F.task("low", .simple), F.task("mid", .medium), F.task("high", .complex), F.task("mid2", .medium),
            F.task("urgent", .meta, "high"),
        ])
        var scheduler = Scheduler(graph: graph, mode: .eager, maxParallel: 2)
        // high 30 + 2 (urgent depends on it), mid 20, mid2 20, low 10.
        #expect(scheduler.start() == [.start(2), .start(1)])
        #expect(scheduler.runningCount == 2)
        // urgent (META, 40) became ready and goes ahead of mid2 and low, which were ready before it.
        #expect(scheduler.succeeded(2) == [.start(4)])
        #expect(scheduler.succeeded(1) == [.start(3)])
        #expect(scheduler.succeeded(4) == [.start(0)])
        #expect(scheduler.succeeded(3) == [])
        #expect(!scheduler.isFinished)
        #expect(scheduler.succeeded(0) == [])
        #expect(scheduler.isFinished)
    }

    @Test("EAGER starts a dependent while its slow sibling still runs; BATCH waits for the whole batch")
    func eagerVersusBatch() throws {
        let graph = try F.graph([F.task("slow"), F.task("fast"), F.task("next", .medium, "fast")])
        var eager = Scheduler(graph: graph, mode: .eager, maxParallel: 2)
        #expect(eager.start() == [.start(1), .start(0)])
        #expect(eager.succeeded(1) == [.start(2)])
        #expect(eager.runningCount == 2)

        var batch = Scheduler(graph: graph, mode: .batch, maxParallel: 2)
        #expect(batch.start() == [.batchStarted(index: 0, tasks: [1, 0]), .start(1), .start(0)])
        #expect(batch.succeeded(1) == [])
        #expect(batch.runningCount == 1)
        #expect(
            batch.succeeded(0) == [
                .batchCompleted(index: 0, tasks: [1, 0]), .batchStarted(index: 1, tasks: [2]), .start(2),
            ]
        )
    }

    @Test(
        "A final failure skips every transitive dependent; independent branches go on",
        arguments: SchedulingMode.allCases
    )
    func skipsDependents(mode: SchedulingMode) throws {
        // a ← b ← c ← e → d ← f: a's failure skips b, c and e (e also needs d); d and f go on.
        let graph = try F.graph([
            F.task("a"), F.task("b", .medium, "a"), F.task("c", .medium, "b"), F.task("d"),
            F.task("e", .medium, "c", "d"),
            F.task("f", .medium, "d"),
        ])
        var scheduler = Scheduler(graph: graph, mode: mode, maxParallel: 5)
        let first = scheduler.start()
        #expect(first.contains(.start(0)) && first.contains(.start(3)))
        #expect(scheduler.failed(0) == [.skipped(1, because: 0), .skipped(2, because: 0), .skipped(4, because: 0)])
        switch mode {
        case .eager:
            #expect(scheduler.succeeded(3) == [.start(5)])
        case .batch:
            // d (2 dependents, 24) ahead of a (1 dependent, 22).
            #expect(
                scheduler.succeeded(3) == [
                    .batchCompleted(index: 0, tasks: [3, 0]), .batchStarted(index: 1, tasks: [5]), .start(5),
                ]
            )
        }
        #expect(!scheduler.isFinished)
        _ = scheduler.succeeded(5)
        #expect(scheduler.isFinished)
    }

    @Test("A failure frees its slot for the next ready task")
    func failureFreesSlot() throws {
        let graph = try F.graph([F.task("a"), F.task("b"), F.task("c")])
        var scheduler = Scheduler(graph: graph, mode: .eager, maxParallel: 1)
        #expect(scheduler.start() == [.start(0)])
        #expect(scheduler.failed(0) == [.start(1)])
    }

    @Test("cancelAll cancels what has not started, and nothing starts afterwards", arguments: SchedulingMode.allCases)
    func cancelAll(mode: SchedulingMode) throws {
        let graph = try F.graph([F.task("a"), F.task("b"), F.task("c"), F.task("d", .medium, "a")])
        var scheduler = Scheduler(graph: graph, mode: mode, maxParallel: 2)
        let started = scheduler.start().compactMap { event -> Int? in
            if case .start(let task) = event { return task }
            return nil
        }
        #expect(started == [0, 1])
        #expect(scheduler.cancelAll() == [2, 3])
        #expect(scheduler.runningCount == 2)
        #expect(!scheduler.isFinished)
        let afterA = scheduler.succeeded(0)
        let afterB = scheduler.failed(1)
        #expect(!(afterA + afterB).contains { if case .start = $0 { true } else { false } })
        #expect(!(afterA + afterB).contains { if case .skipped = $0 { true } else { false } })
        if mode == .batch { #expect(afterB == [.batchCompleted(index: 0, tasks: [0, 1])]) }
        #expect(scheduler.isFinished)
        #expect(scheduler.cancelAll() == [])
    }

    @Test("A scheduler is finished only when nothing runs and nothing can start")
    func finished() throws {
        let graph = try F.graph([F.task("only")])
        var scheduler = Scheduler(graph: graph, mode: .eager, maxParallel: 5)
        #expect(!scheduler.isFinished)
        #expect(scheduler.start() == [.start(0)])
        #expect(!scheduler.isFinished)
        #expect(scheduler.succeeded(0) == [])
        #expect(scheduler.isFinished)
        #expect(scheduler.runningCount == 0)
    }
}
