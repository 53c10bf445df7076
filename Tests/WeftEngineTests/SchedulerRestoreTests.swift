import Testing
@testable import WeftEngine

/// A scheduler resuming after a restart (``Scheduler/init(graph:mode:maxParallel:succeeded:failed:)``).
@Suite("Scheduler restored after a restart")
struct SchedulerRestoreTests {
    // a → b → c, a → d, e (independent), f depends on e
    static func graph() throws -> TaskGraph {
        try WorkflowValidator.validate(WorkflowSpec(tasks: [
            TaskSpec(id: "a", executor: "sim"), TaskSpec(id: "b", dependsOn: ["a"], executor: "sim"),
            TaskSpec(id: "c", dependsOn: ["b"], executor: "sim"), TaskSpec(id: "d", dependsOn: ["a"], executor: "sim"),
            TaskSpec(id: "e", executor: "sim"), TaskSpec(id: "f", dependsOn: ["e"], executor: "sim"),
        ]), config: EngineConfig()) { $0 == "sim" }
    }

    static func started(_ events: [SchedulerEvent]) -> [Int] {
        events.compactMap { if case .start(let task) = $0 { task } else { nil } }
    }

    @Test("succeeded tasks never start; their dependents are ready; failed tasks' dependents never start")
    func restore() throws {
        let graph = try Self.graph()
        var scheduler = Scheduler(graph: graph, mode: .eager, maxParallel: 10, succeeded: [0], failed: [4])
        // a succeeded: b and d are ready; e failed: f is skipped silently; nothing else is ready.
        #expect(Set(Self.started(scheduler.start())) == [1, 3])
        #expect(Self.started(scheduler.succeeded(3)).isEmpty)
        #expect(Self.started(scheduler.succeeded(1)) == [2])
        #expect(!scheduler.isFinished)
        #expect(Self.started(scheduler.succeeded(2)).isEmpty)
        #expect(scheduler.isFinished)
    }

    @Test("a workflow whose tasks all succeeded before the restart is finished at once")
    func allDone() throws {
        let graph = try Self.graph()
        var scheduler = Scheduler(graph: graph, mode: .batch, maxParallel: 2, succeeded: Set(0..<6), failed: [])
        #expect(scheduler.start().isEmpty)
        #expect(scheduler.isFinished)
    }

    @Test("with nothing restored it plans exactly like a fresh scheduler")
    func nothingRestored() throws {
        let graph = try Self.graph()
        var fresh = Scheduler(graph: graph, mode: .batch, maxParallel: 2)
        var restored = Scheduler(graph: graph, mode: .batch, maxParallel: 2, succeeded: [], failed: [])
        #expect(fresh.start() == restored.start())
    }
}
