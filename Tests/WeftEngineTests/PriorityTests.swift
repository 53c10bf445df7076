import Testing
import WeftEngine

/// The original platform's user-authentication microservice ("registration, login, JWT tokens, and tests") as a
/// 12-task DAG, and the priorities its scoring gives by hand.
enum AuthMicroservice {
    static let tasks: [TaskSpec] = [
        TaskSpec(id: "project_setup", type: "configuration", complexity: .simple),
        TaskSpec(id: "db_schema", type: "database", complexity: .medium, dependsOn: ["project_setup"]),
        TaskSpec(id: "user_model", type: "model", complexity: .medium, dependsOn: ["db_schema"]),
        TaskSpec(id: "password_hashing", type: "security", complexity: .simple, dependsOn: ["project_setup"]),
        TaskSpec(
            id: "auth_service",
            type: "security",
            complexity: .complex,
            dependsOn: ["user_model", "password_hashing"]
        ),
        TaskSpec(id: "jwt_tokens", type: "auth", complexity: .complex, dependsOn: ["auth_service"]),
        TaskSpec(id: "registration_api", type: "api", complexity: .medium, dependsOn: ["auth_service", "db_schema"]),
        TaskSpec(id: "login_api", type: "api", complexity: .medium, dependsOn: ["jwt_tokens", "db_schema"]),
        TaskSpec(id: "session_store", type: "database", complexity: .medium, dependsOn: ["db_schema"]),
        TaskSpec(id: "audit_log", type: "logging", complexity: .simple, dependsOn: ["db_schema"]),
        TaskSpec(
            id: "integration_tests",
            type: "tests",
            complexity: .medium,
            dependsOn: ["registration_api", "login_api", "db_schema"]
        ),
        TaskSpec(
            id: "api_docs",
            type: "documentation",
            complexity: .simple,
            dependsOn: ["registration_api", "login_api"]
        ),
    ]

    /// complexity + type + 2 × direct dependents (at most 10), worked out by hand:
    static let expected: [String: Int] = [
        "project_setup": 10 + 0 + 2 * 2,  // SIMPLE; db_schema, password_hashing
        "db_schema": 20 + 12 + 10,  // MEDIUM database; 6 dependents = 12 points, capped at 10
        "user_model": 20 + 0 + 2,  // MEDIUM; "model" matches no rule; auth_service
        "password_hashing": 10 + 15 + 2,  // SIMPLE security; auth_service
        "auth_service": 30 + 15 + 4,  // COMPLEX security; jwt_tokens, registration_api
        "jwt_tokens": 30 + 15 + 2,  // COMPLEX auth; login_api
        "registration_api": 20 + 8 + 4,  // MEDIUM api; integration_tests, api_docs
        "login_api": 20 + 8 + 4,  // same
        "session_store": 20 + 12 + 0,  // MEDIUM database; no dependents
        "audit_log": 10 + 0 + 0,  // SIMPLE
        "integration_tests": 20 - 5 + 0,  // MEDIUM tests
        "api_docs": 10 + 0 + 0,  // SIMPLE documentation
    ]

    static func graph(config: EngineConfig = EngineConfig()) throws -> TaskGraph {
        try WorkflowValidator.validate(WorkflowSpec(tasks: tasks), config: config) { $0 == "sim" }
    }
}

@Suite("Priority scoring")
struct PriorityTests {
    @Test("The auth microservice's priorities follow the original platform's scoring")
    func authMicroservice() throws {
        let graph = try AuthMicroservice.graph()
        for (index, spec) in graph.tasks.enumerated() {
            #expect(graph.priorities[index] == AuthMicroservice.expected[spec.id], "\(spec.id)")
        }
        #expect(graph.priorities == [14, 42, 22, 27, 49, 47, 32, 32, 32, 10, 15, 10])
    }

    @Test("Complexity points: META 40, COMPLEX 30, MEDIUM 20, SIMPLE 10")
    func complexity() {
        let weights = PriorityWeights()
        #expect(
            Complexity.allCases.map { weights.priority(complexity: $0, type: "", dependents: 0) } == [10, 20, 30, 40]
        )
    }

    @Test(
        "Type points match whole words case-insensitively, first rule first",
        arguments: [
            ("security", 15), ("Auth", 15), ("AUTHENTICATION", 15), ("user-auth_service", 15), ("authorization", 15),
            ("database", 12), ("DB migration", 12), ("schema", 12), ("api", 8), ("REST API", 8), ("tests", -5),
            ("unit_test", -5), ("testing", -5), ("security tests", 15), ("api tests", 8), ("database api", 12),
            ("authoring", 0), ("rapid", 0), ("latest", 0), ("", 0), ("documentation", 0),
        ]
    )
    func typePoints(type: String, points: Int) {
        #expect(PriorityWeights().typePoints(for: type) == points)
    }

    @Test("Dependents add 2 points each, at most 10", arguments: [(0, 0), (1, 2), (4, 8), (5, 10), (6, 10), (100, 10)])
    func dependentPoints(count: Int, points: Int) {
        #expect(PriorityWeights().dependentPoints(count: count) == points)
    }

    @Test("Weights are configuration")
    func configuredWeights() throws {
        var config = EngineConfig()
        config.priority.complex = 100
        config.priority.perDependent = 1
        config.priority.maxDependentPoints = 3
        config.priority.typeRules = [PriorityWeights.TypeRule(keywords: ["model"], points: 50)]
        let graph = try AuthMicroservice.graph(config: config)
        #expect(graph.priorities[graph.index(of: "user_model")!] == 20 + 50 + 1)
        #expect(graph.priorities[graph.index(of: "auth_service")!] == 100 + 0 + 2)
        #expect(graph.priorities[graph.index(of: "db_schema")!] == 20 + 0 + 3)
    }

    @Test("Equal priorities start in submission order")
    func tiesKeepSubmissionOrder() throws {
        let graph = try AuthMicroservice.graph()
        let ties = ["registration_api", "login_api", "session_store"].map { graph.index(of: $0)! }
        #expect(ties.map { graph.priorities[$0] } == [32, 32, 32])
        // On a flat graph every task is ready at once: equal priorities start in submission order.
        let flat = try WorkflowValidator.validate(
            WorkflowSpec(tasks: ["c", "a", "d", "b"].map { TaskSpec(id: $0, type: "api") }),
            config: EngineConfig()
        ) { _ in true }
        var scheduler = Scheduler(graph: flat, mode: .eager, maxParallel: 4)
        #expect(scheduler.start() == [.start(0), .start(1), .start(2), .start(3)])
    }
}
