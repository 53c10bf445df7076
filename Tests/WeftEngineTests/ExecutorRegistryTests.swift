import Testing
import WeftEngine

@Suite("ExecutorRegistry")
struct ExecutorRegistryTests {
    let sim = SimExecutor(clock: .live)
    let exec = ExecExecutor(commands: [
        ExecCommand(name: "build", argv: ["printf", "built"]),
        ExecCommand(name: "lint", argv: ["true"]),
    ])

    @Test("sim and the configured exec commands are known; nothing else is")
    func knownNames() {
        let registry = ExecutorRegistry(sim: sim, exec: exec)
        for name in ["sim", "exec:build", "exec:lint"] {
            #expect(registry.isKnown(name), "\(name)")
            #expect(registry.executor(for: name) != nil, "\(name)")
        }
        for name in ["", "exec:", "exec:deploy", "exec:build ", "exec:build;rm", "EXEC:build", "Sim", "queue:gpu", "shell"] {
            #expect(!registry.isKnown(name), "\(name)")
            #expect(registry.executor(for: name) == nil, "\(name)")
        }
        #expect(registry.knownNames == ["exec:build", "exec:lint", "sim"])
    }

    @Test("Without a simulator or commands, their names are unknown")
    func empty() {
        let registry = ExecutorRegistry(sim: nil, exec: nil)
        #expect(!registry.isKnown("sim"))
        #expect(!registry.isKnown("exec:build"))
        #expect(registry.knownNames.isEmpty)
    }

    @Test("Other executors are found by their exact name")
    func others() async throws {
        let registry = ExecutorRegistry(sim: nil, exec: exec, others: ["queue:gpu": FixedExecutor(output: "from queue")])
        #expect(registry.isKnown("queue:gpu"))
        #expect(!registry.isKnown("queue:cpu"))
        #expect(registry.knownNames == ["exec:build", "exec:lint", "queue:gpu"])
        let executor = try #require(registry.executor(for: "queue:gpu"))
        let output = try await executor.execute(activity(executor: "queue:gpu"), heartbeat: HeartbeatRecorder { _ in })
        #expect(output.output == "from queue")
    }

    @Test("exec:NAME runs that command, even for a task that names no executor (a default executor)")
    func boundCommand() async throws {
        let registry = ExecutorRegistry(sim: sim, exec: exec)
        let executor = try #require(registry.executor(for: "exec:build"))
        let output = try await executor.execute(activity(executor: ""), heartbeat: HeartbeatRecorder { _ in })
        #expect(output.output == "built")
    }

    @Test("sim runs the simulator")
    func simulator() async throws {
        let registry = ExecutorRegistry(sim: sim, exec: nil)
        let executor = try #require(registry.executor(for: "sim"))
        let output = try await executor.execute(
            activity(executor: "sim", input: #"{"duration_ms": 0, "output": "simulated"}"#),
            heartbeat: HeartbeatRecorder { _ in })
        #expect(output.output == "simulated")
    }

    private func activity(executor: String, input: String = "") -> Activity {
        Activity(
            workflowID: "wf", task: TaskSpec(id: "t", executor: executor, input: input), attempt: 1,
            startToCloseTimeout: .seconds(10), heartbeatTimeout: .seconds(10))
    }
}

private struct FixedExecutor: ActivityExecutor {
    var output: String

    func execute(_ activity: Activity, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput {
        ActivityOutput(output: output)
    }
}
