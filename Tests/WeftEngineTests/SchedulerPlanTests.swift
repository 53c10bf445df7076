import Testing
import WeftEngine

@Suite("Scheduler: the plan returned on submission")
struct SchedulerPlanTests {
    private func ids(_ plan: [PlannedBatch]) -> [[String]] { plan.map { $0.tasks.map(\.taskID) } }

    @Test("BATCH: the batches as they would run, each task with its priority")
    func batchPlan() throws {
        let graph = try AuthMicroservice.graph()
        let plan = Scheduler.plan(graph: graph, mode: .batch, maxParallel: 5)
        #expect(plan.map(\.index) == Array(0..<7))
        #expect(
            ids(plan) == [
                ["project_setup"], ["db_schema", "password_hashing"], ["session_store", "user_model", "audit_log"],
                ["auth_service"], ["jwt_tokens", "registration_api"], ["login_api"], ["integration_tests", "api_docs"],
            ]
        )
        #expect(
            plan[1].tasks == [
                PlannedTask(taskID: "db_schema", priority: 42), PlannedTask(taskID: "password_hashing", priority: 27),
            ]
        )
        #expect(plan[3].tasks == [PlannedTask(taskID: "auth_service", priority: 49)])
    }

    @Test("BATCH: a ready set wider than maxParallel is cut, and its remainder runs before later tasks")
    func batchPlanCut() throws {
        let graph = try AuthMicroservice.graph()
        let plan = Scheduler.plan(graph: graph, mode: .batch, maxParallel: 2)
        #expect(
            ids(plan) == [
                ["project_setup"], ["db_schema", "password_hashing"], ["session_store", "user_model"], ["audit_log"],
                ["auth_service"], ["jwt_tokens", "registration_api"], ["login_api"], ["integration_tests", "api_docs"],
            ]
        )
    }

    @Test("EAGER: waves of tasks starting together; auth_service no longer waits behind audit_log's batch")
    func eagerPlan() throws {
        let graph = try AuthMicroservice.graph()
        let plan = Scheduler.plan(graph: graph, mode: .eager, maxParallel: 2)
        #expect(
            ids(plan) == [
                ["project_setup"], ["db_schema", "password_hashing"], ["session_store", "user_model"],
                ["auth_service", "audit_log"], ["jwt_tokens", "registration_api"], ["login_api"],
                ["integration_tests", "api_docs"],
            ]
        )
        #expect(plan[3].tasks.map(\.priority) == [49, 10])
    }

    @Test("Every task appears exactly once in either plan, within maxParallel", arguments: SchedulingMode.allCases)
    func planCoversEveryTask(mode: SchedulingMode) throws {
        var tasks: [TaskSpec] = []
        for index in 0..<500 {
            let dependencies = [index / 2, index / 3, index - 1].filter { $0 >= 0 && $0 < index }
            tasks.append(
                TaskSpec(
                    id: "t\(index)",
                    complexity: Complexity.allCases[index % 4],
                    dependsOn: Array(Set(dependencies)).sorted().map { "t\($0)" }
                )
            )
        }
        let graph = try SchedulingFixtures.graph(tasks)
        let plan = Scheduler.plan(graph: graph, mode: mode, maxParallel: 7)
        let planned = plan.flatMap { $0.tasks.map(\.taskID) }
        #expect(planned.count == 500)
        #expect(Set(planned).count == 500)
        #expect(plan.allSatisfy { $0.tasks.count <= 7 && !$0.tasks.isEmpty })
        // Each task is planned after its dependencies.
        var position: [String: Int] = [:]
        for (wave, batch) in plan.enumerated() { for task in batch.tasks { position[task.taskID] = wave } }
        for (index, spec) in graph.tasks.enumerated() {
            for dependency in graph.dependencies[index] {
                #expect(position[graph.tasks[dependency].id]! < position[spec.id]!)
            }
        }
    }
}
