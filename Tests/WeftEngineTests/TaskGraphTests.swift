import Testing
import WeftEngine

@Suite("Task graph: META expansion")
struct TaskGraphTests {
    typealias F = SchedulingFixtures

    private func metaGraph() throws -> TaskGraph {
        try F.graph([F.task("plan", .meta), F.task("other"), F.task("final", .medium, "plan")])
    }

    private func expansionError(
        _ specs: [TaskSpec],
        parent: String = "plan",
        config: EngineConfig = EngineConfig()
    ) throws -> String? {
        var graph = try metaGraph()
        let before = graph
        do {
            _ = try graph.add(specs, parent: graph.index(of: parent)!, config: config) { $0 == "sim" }
            return nil
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(graph.tasks == before.tasks && graph.dependents == before.dependents)
            #expect(graph.priorities == before.priorities && graph.count == 3)
            return error.message
        }
    }

    @Test("New tasks join the graph, depend on the META task and get priorities; the parent's stays as it was")
    func validExpansion() throws {
        var graph = try metaGraph()
        let parentPriority = graph.priorities[0]
        let added = try graph.add(
            [F.task("x", .complex, type: "auth"), F.task("y", .simple, "x", "other"), F.task("z", .medium, "plan")],
            parent: 0,
            config: EngineConfig()
        ) { $0 == "sim" }
        #expect(added == 3..<6)
        #expect(graph.count == 6)
        #expect(graph.dependencies[3] == [0])
        #expect(graph.dependencies[4] == [3, 1, 0])
        #expect(graph.dependencies[5] == [0])
        #expect(graph.tasks[4].dependsOn == ["x", "other", "plan"])
        #expect(graph.tasks[5].dependsOn == ["plan"])
        #expect(graph.tasks[3].executor == "sim")
        #expect(graph.dependents[0] == [2, 3, 4, 5])
        #expect(graph.dependents[1] == [4])
        #expect(graph.index(of: "y") == 4)
        // x: COMPLEX 30 + auth 15 + one dependent 2; y: SIMPLE 10; z: MEDIUM 20.
        #expect(Array(graph.priorities[3...]) == [47, 10, 20])
        #expect(graph.priorities[0] == parentPriority)
    }

    @Test("An empty expansion adds nothing")
    func emptyExpansion() throws {
        var graph = try metaGraph()
        #expect(try graph.add([], parent: 0, config: EngineConfig()) { _ in true } == 3..<3)
    }

    @Test("An id that already exists in the workflow is refused")
    func duplicateOfExisting() throws {
        #expect(
            try expansionError([F.task("other")])
                == #"expansion of task "plan": task "other": duplicate id (a task of the workflow already has it)"#
        )
    }

    @Test("A repeated id within the expansion is refused")
    func duplicateWithinExpansion() throws {
        #expect(
            try expansionError([F.task("x"), F.task("x")])
                == #"expansion of task "plan": task "x": duplicate id (also task #0)"#
        )
    }

    @Test("A dependency on no task is refused")
    func unknownDependency() throws {
        #expect(
            try expansionError([F.task("x", .medium, "ghost")])
                == #"expansion of task "plan": task "x": depends_on names unknown task "ghost""#
        )
    }

    @Test("A cycle among the new tasks is refused with its path")
    func cycleAmongNewTasks() throws {
        #expect(
            try expansionError([F.task("w"), F.task("x", .medium, "y"), F.task("y", .medium, "x")])
                == "expansion of task \"plan\": dependency cycle: x → y → x"
        )
    }

    @Test("An expansion past the workflow's task limit is refused")
    func overTaskLimit() throws {
        var config = EngineConfig()
        config.limits.maxTasks = 4
        #expect(
            try expansionError([F.task("x"), F.task("y")], config: config)
                == #"expansion of task "plan": tasks: 2 new tasks make 5, more than the limit of 4"#
        )
        #expect(try expansionError([F.task("x")], config: config) == nil)
    }

    @Test("New tasks are validated field by field like a submission")
    func fieldValidation() throws {
        #expect(try expansionError([F.task("")]) == #"expansion of task "plan": task #0: id is empty"#)
        #expect(
            try expansionError([TaskSpec(id: "x", executor: "exec:nope")])
                == #"expansion of task "plan": task "x": unknown executor "exec:nope""#
        )
        #expect(
            try expansionError([TaskSpec(id: "x", timeouts: ActivityTimeouts(heartbeat: .seconds(-1)))])
                == #"expansion of task "plan": task "x": timeouts.heartbeat must be positive"#
        )
    }

    @Test("Only a META task may expand")
    func onlyMetaExpands() throws {
        #expect(
            try expansionError([F.task("x")], parent: "other")
                == #"expansion of task "other": only META tasks may add tasks (its complexity is MEDIUM)"#
        )
    }
}
