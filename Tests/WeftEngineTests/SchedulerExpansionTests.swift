import Testing
import WeftEngine

/// An expansion that must be refused, named for the test report.
struct BadExpansion: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var tasks: [TaskSpec]

    init(_ name: String, _ tasks: [TaskSpec]) {
        testDescription = name
        self.tasks = tasks
    }
}

@Suite("Scheduler: META expansion")
struct SchedulerExpansionTests {
    typealias F = SchedulingFixtures
    private let config = EngineConfig()

    private func started(_ events: [SchedulerEvent]) -> [Int] {
        events.compactMap { event in
            if case .start(let task) = event { return task }
            return nil
        }
    }

    @Test("New tasks run after the META task, in dependency and priority order", arguments: SchedulingMode.allCases)
    func validExpansion(mode: SchedulingMode) throws {
        let graph = try F.graph([F.task("plan", .meta), F.task("other"), F.task("final", .simple, "plan")])
        var scheduler = Scheduler(graph: graph, mode: mode, maxParallel: 2)
        #expect(started(scheduler.start()) == [0, 1])
        // x (MEDIUM 20 + 2 for y) outranks final (SIMPLE 10); y waits for x.
        let events = try scheduler.succeeded(
            0,
            expansion: [F.task("x"), F.task("y", .medium, "x")],
            config: config
        ) { _ in true }
        #expect(scheduler.graph.count == 5)
        #expect(scheduler.graph.dependencies[3] == [0])
        #expect(scheduler.graph.dependencies[4] == [3, 0])
        switch mode {
        case .eager:
            #expect(events == [.start(3)])
            #expect(scheduler.succeeded(1) == [.start(2)])
            #expect(scheduler.succeeded(3) == [.start(4)])
            #expect(scheduler.succeeded(2) == [])
        case .batch:
            #expect(events == [])
            #expect(started(scheduler.succeeded(1)) == [3, 2])
            #expect(scheduler.succeeded(3) == [])
            #expect(started(scheduler.succeeded(2)) == [4])
        }
        #expect(scheduler.succeeded(4) == (mode == .batch ? [.batchCompleted(index: 2, tasks: [4])] : []))
        #expect(scheduler.isFinished)
    }

    @Test(
        "An invalid expansion throws and leaves the scheduler unchanged, so the META task can be failed",
        arguments: [
            BadExpansion("an existing id", [TaskSpec(id: "other")]),
            BadExpansion("an unknown dependency", [TaskSpec(id: "x", dependsOn: ["ghost"])]),
            BadExpansion("a cycle", [TaskSpec(id: "x", dependsOn: ["y"]), TaskSpec(id: "y", dependsOn: ["x"])]),
            BadExpansion("too many tasks", [TaskSpec(id: "x"), TaskSpec(id: "y"), TaskSpec(id: "z")]),
        ]
    )
    func invalidExpansion(_ bad: BadExpansion) throws {
        let expansion = bad.tasks
        var config = EngineConfig()
        config.limits.maxTasks = 5
        let graph = try F.graph([F.task("plan", .meta), F.task("other"), F.task("final", .simple, "plan")])
        var scheduler = Scheduler(graph: graph, mode: .eager, maxParallel: 2)
        _ = scheduler.start()
        #expect(throws: EngineError.self) {
            try scheduler.succeeded(0, expansion: expansion, config: config) { _ in true }
        }
        #expect(scheduler.graph.count == 3)
        #expect(scheduler.graph.dependents[0] == [2])
        #expect(scheduler.runningCount == 2)
        #expect(scheduler.failed(0) == [.skipped(2, because: 0)])
        #expect(scheduler.succeeded(1) == [])
        #expect(scheduler.isFinished)
    }

    @Test("A new task depending on a failed or skipped task is skipped at once for the original failure")
    func expansionOnFailedBranch() throws {
        let graph = try F.graph([
            F.task("plan", .meta), F.task("bad", .complex), F.task("after_bad", .medium, "bad"),
        ])
        var scheduler = Scheduler(graph: graph, mode: .eager, maxParallel: 2)
        #expect(started(scheduler.start()) == [0, 1])
        #expect(scheduler.failed(1) == [.skipped(2, because: 1)])
        let events = try scheduler.succeeded(
            0,
            expansion: [
                F.task("needs_skipped", .medium, "after_bad"), F.task("chained", .medium, "needs_skipped"),
                F.task("fine"), F.task("needs_bad", .medium, "bad"),
            ],
            config: config
        ) { _ in true }
        #expect(
            events == [
                .skipped(3, because: 1), .skipped(4, because: 1), .skipped(6, because: 1), .start(5),
            ]
        )
        #expect(scheduler.succeeded(5) == [])
        #expect(scheduler.isFinished)
    }

    @Test("After cancelAll an expansion is dropped")
    func expansionAfterCancel() throws {
        let graph = try F.graph([F.task("plan", .meta), F.task("later", .medium, "plan")])
        var scheduler = Scheduler(graph: graph, mode: .eager, maxParallel: 2)
        _ = scheduler.start()
        #expect(scheduler.cancelAll() == [1])
        #expect(try scheduler.succeeded(0, expansion: [F.task("x")], config: config) { _ in true } == [])
        #expect(scheduler.graph.count == 2)
        #expect(scheduler.isFinished)
    }
}
