import Foundation
import Testing
import WeftCLI
import WeftMessages

@Suite("The example workflows in examples/")
struct ExampleWorkflowTests {
    static let files = ["user-auth-service.json", "blog-api.json"]

    private static func load(_ name: String) throws -> Weft_V1_SubmitWorkflowRequest {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("examples/\(name)"), encoding: .utf8)
        return try Weft_V1_SubmitWorkflowRequest(protoJSONText: text)
    }

    @Test("each decodes and is a valid DAG of 8 to 12 sim tasks", arguments: files)
    func validDAG(name: String) throws {
        let request = try Self.load(name)
        #expect((8...12).contains(request.tasks.count))
        let ids = request.tasks.map(\.id)
        #expect(Set(ids).count == ids.count, "task ids are unique")
        var done = Set<String>()
        // Tasks are listed in a dependency order, which also proves there is no cycle.
        for task in request.tasks {
            #expect(task.dependsOn.allSatisfy(done.contains), "\(task.id) depends only on earlier tasks")
            #expect(!task.type.isEmpty && !task.description.isEmpty && task.complexity != .unspecified)
            #expect(task.executor == "sim")
            let input = try JSONValue(parsing: task.input)
            guard case .object(let members) = input,
                case .number(let literal)? = members.first(where: { $0.key == "duration_ms" })?.value,
                let duration = Int(literal)
            else {
                Issue.record("\(task.id): input has no duration_ms")
                continue
            }
            #expect((100...900).contains(duration), "\(task.id) takes \(duration) ms")
            done.insert(task.id)
        }
        #expect(request.constraints["language"] == "python")
        #expect(request.constraints["framework"] == "fastapi")
        #expect(request.requestID.isEmpty, "examples are submitted repeatedly, so they carry no request id")
        let types = Set(request.tasks.map(\.type))
        #expect(types.isSuperset(of: ["database", "api", "tests"]))
        #expect(!types.isDisjoint(with: ["auth", "security"]))
    }

    @Test("the user-auth example is the original platform's request")
    func original() throws {
        let request = try Self.load("user-auth-service.json")
        #expect(
            request.description
                == "Create user authentication microservice with registration, login, JWT tokens, and tests")
        #expect(request.requirements == "Production-ready with security best practices")
    }
}
