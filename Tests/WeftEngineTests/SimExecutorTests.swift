import Synchronization
import Testing
import WeftEngine

@Suite("SimExecutor", .timeLimit(.minutes(1)))
struct SimExecutorTests {
    let clock = ManualClock()
    let heartbeats = RecordedHeartbeats()
    var sim: SimExecutor { SimExecutor(clock: EngineClock(clock: clock, unixMilliseconds: { 0 })) }

    /// Starts `activity`; the test drives the clock.
    func start(_ activity: Activity) -> Task<ActivityOutput, any Error> {
        let sim = self.sim
        let recorder = heartbeats.recorder
        return Task { try await sim.execute(activity, heartbeat: recorder) }
    }

    /// Runs `activity` through `steps` sleeps, advancing the clock to each deadline; returns the deadlines (in ms
    /// since the start) and the output.
    func run(_ activity: Activity, steps: Int) async throws -> (deadlines: [Int64], output: ActivityOutput) {
        let task = start(activity)
        var deadlines: [Int64] = []
        for _ in 0..<steps {
            await clock.waitForSleepers(count: 1)
            let deadline = try #require(clock.nextDeadline)
            deadlines.append(Self.milliseconds(deadline.offset))
            clock.advance(to: deadline)
        }
        let output = try await task.value
        #expect(clock.totalSleeps == steps)
        return (deadlines, output)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    @Test(
        "Each complexity works its default duration",
        arguments: [(Complexity.simple, 200), (.medium, 400), (.complex, 800), (.meta, 1000)] as [(Complexity, Int64)])
    func defaultDurations(complexity: Complexity, milliseconds: Int64) async throws {
        let activity = makeActivity(complexity: complexity, input: #"{"heartbeat_ms": 100000}"#)
        let (deadlines, _) = try await run(activity, steps: 1)
        #expect(deadlines == [milliseconds])
        #expect(heartbeats.all.isEmpty)
    }

    @Test("Empty input, and JSON that is not an object, mean the defaults", arguments: ["", "  \n", "[1, 2]", "42", #""text""#])
    func defaultsForNonObjectInput(input: String) async throws {
        let (deadlines, output) = try await run(makeActivity(complexity: .simple, input: input), steps: 2)
        #expect(deadlines == [100, 200])
        #expect(heartbeats.all == [#"{"progress":0.5}"#])
        #expect(output.output == "sim: task t1 (api, SIMPLE) completed on attempt 1")
    }

    @Test("It heartbeats every heartbeat_ms with its progress, measured from the start")
    func heartbeatsWithProgress() async throws {
        let activity = makeActivity(input: #"{"duration_ms": 400, "heartbeat_ms": 100}"#)
        let (deadlines, _) = try await run(activity, steps: 4)
        #expect(deadlines == [100, 200, 300, 400])
        #expect(heartbeats.all == [#"{"progress":0.25}"#, #"{"progress":0.5}"#, #"{"progress":0.75}"#])
    }

    @Test("A duration that is not a multiple of the interval ends with a short last step")
    func unevenLastStep() async throws {
        let (deadlines, _) = try await run(makeActivity(input: #"{"duration_ms": 250, "heartbeat_ms": 100}"#), steps: 3)
        #expect(deadlines == [100, 200, 250])
        #expect(heartbeats.all == [#"{"progress":0.4}"#, #"{"progress":0.8}"#])
    }

    @Test("stop_heartbeat_after_ms stops the heartbeats but not the work")
    func stopHeartbeat() async throws {
        let input = #"{"duration_ms": 1000, "heartbeat_ms": 100, "stop_heartbeat_after_ms": 250}"#
        let (deadlines, _) = try await run(makeActivity(input: input), steps: 3)
        #expect(deadlines == [100, 200, 1000])
        #expect(heartbeats.all.count == 2)
    }

    @Test("fail_attempts fails the first N attempts with a retryable SimulatedFailure, then succeeds")
    func failAttempts() async throws {
        let input = #"{"duration_ms": 0, "fail_attempts": 2}"#
        for attempt in 1...2 {
            let failure = await #expect(throws: ActivityFailure.self) {
                try await sim.execute(makeActivity(input: input, attempt: attempt), heartbeat: heartbeats.recorder)
            }
            #expect(failure?.message == "simulated failure (attempt \(attempt) of 2)")
            #expect(failure?.type == "SimulatedFailure")
            #expect(failure?.retryable == true)
        }
        let output = try await sim.execute(makeActivity(input: input, attempt: 3), heartbeat: heartbeats.recorder)
        #expect(output.output.contains("attempt 3"))
    }

    @Test("A failing attempt does its work before it fails")
    func failureAfterWork() async throws {
        let task = start(makeActivity(input: #"{"duration_ms": 300, "heartbeat_ms": 1000, "fail_attempts": 1}"#))
        await clock.waitForSleepers(count: 1)
        #expect(clock.nextDeadline?.offset == .milliseconds(300))
        clock.advance(by: .milliseconds(300))
        await #expect(throws: ActivityFailure.self) { try await task.value }
    }

    @Test("fail_type and retryable false make a non-retryable failure of that type")
    func nonRetryable() async throws {
        let input = #"{"duration_ms": 0, "fail_attempts": 5, "fail_type": "Fatal", "retryable": false}"#
        let failure = await #expect(throws: ActivityFailure.self) {
            try await sim.execute(makeActivity(input: input, attempt: 1), heartbeat: heartbeats.recorder)
        }
        #expect(failure?.type == "Fatal")
        #expect(failure?.retryable == false)
        #expect(failure?.message == "simulated failure (attempt 1 of 5)")
    }

    @Test("output is returned as given; the default output names the task, its type, complexity and attempt")
    func output() async throws {
        let given = try await sim.execute(
            makeActivity(input: #"{"duration_ms": 0, "output": "CREATE TABLE posts (…);"}"#),
            heartbeat: heartbeats.recorder)
        #expect(given.output == "CREATE TABLE posts (…);")
        #expect(given.newTasks.isEmpty)

        var activity = makeActivity(complexity: .complex, input: #"{"duration_ms": 0}"#, attempt: 2)
        activity.task.type = ""
        let standard = try await sim.execute(activity, heartbeat: heartbeats.recorder)
        #expect(standard.output == "sim: task t1 (COMPLEX) completed on attempt 2")
    }

    @Test("expand returns its task objects as new tasks")
    func expand() async throws {
        let input = """
            {"duration_ms": 0, "expand": [
              {"id": "schema", "type": "database", "complexity": "complex", "description": "Design the schema",
               "input": {"duration_ms": 5}},
              {"id": "api", "depends_on": ["schema"], "input": "raw text", "executor": "sim"}
            ]}
            """
        let result = try await sim.execute(makeActivity(complexity: .meta, input: input), heartbeat: heartbeats.recorder)
        #expect(
            result.newTasks == [
                TaskSpec(
                    id: "schema", type: "database", complexity: .complex, description: "Design the schema",
                    input: #"{"duration_ms":5}"#),
                TaskSpec(id: "api", complexity: .medium, dependsOn: ["schema"], executor: "sim", input: "raw text"),
            ])
    }

    @Test(
        "Invalid expand entries fail with InvalidInput naming the entry and key",
        arguments: [
            (#"{"expand": {"id": "a"}}"#, "\"expand\" must be an array"),
            (#"{"expand": [{"type": "api"}]}"#, "expand[0].\"id\" is required"),
            (#"{"expand": [{"id": "a"}, {"id": "b", "complexity": "HUGE"}]}"#, "expand[1].\"complexity\" must be"),
            (#"{"expand": [{"id": "a", "depends_on": [1]}]}"#, "expand[0].\"depends_on\" must be an array of strings"),
        ])
    func invalidExpand(input: String, problem: String) async throws {
        let failure = await #expect(throws: ActivityFailure.self) {
            try await sim.execute(makeActivity(input: input), heartbeat: heartbeats.recorder)
        }
        #expect(failure?.type == "InvalidInput")
        #expect(failure?.message.contains(problem) == true, "\(failure?.message ?? "")")
    }

    @Test("With a reference to adapt it works adapt_fraction of the duration and names the reference")
    func adapt() async throws {
        var activity = makeActivity(input: #"{"duration_ms": 1000, "heartbeat_ms": 100000}"#)
        activity.reference = TaskResult(taskID: "old-login", output: "…", attempt: 1, duration: .seconds(1))
        let (deadlines, output) = try await run(activity, steps: 1)
        #expect(deadlines == [300])
        #expect(output.output.contains("adapted from the result of task old-login"))

        activity.task.input = #"{"duration_ms": 1000, "heartbeat_ms": 100000, "adapt_fraction": 0.5}"#
        let again = start(activity)
        await clock.waitForSleepers(count: 1)
        #expect(clock.nextDeadline == clock.now.advanced(by: .milliseconds(500)))
        clock.advanceToNextDeadline()
        _ = try await again.value
    }

    @Test(
        "Malformed input fails with a non-retryable InvalidInput naming the problem",
        arguments: [
            ("{duration", "is not valid JSON"),
            (#"{"duration_ms": "abc"}"#, #""duration_ms" must be a number of milliseconds"#),
            (#"{"duration_ms": -5}"#, #""duration_ms" must be a number of milliseconds"#),
            (#"{"heartbeat_ms": 0}"#, #""heartbeat_ms" must be greater than 0"#),
            (#"{"fail_attempts": 1.5}"#, #""fail_attempts" must be a whole number"#),
            (#"{"retryable": "no"}"#, #""retryable" must be true or false"#),
            (#"{"adapt_fraction": 2}"#, #""adapt_fraction" must be a number between 0 and 1"#),
            (#"{"output": 5}"#, #""output" must be a string"#),
        ])
    func malformedInput(input: String, problem: String) async throws {
        let failure = await #expect(throws: ActivityFailure.self) {
            try await sim.execute(makeActivity(input: input), heartbeat: heartbeats.recorder)
        }
        #expect(failure?.type == "InvalidInput")
        #expect(failure?.retryable == false)
        #expect(failure?.message.contains("task \"t1\"") == true)
        #expect(failure?.message.contains(problem) == true, "\(failure?.message ?? "")")
        #expect(clock.totalSleeps == 0)
    }

    @Test("Cancellation ends a sleeping attempt at once, without time passing")
    func cancellation() async throws {
        let task = start(makeActivity(input: #"{"duration_ms": 3600000}"#))
        await clock.waitForSleepers(count: 1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0)
        #expect(clock.now == .zero)
    }

    @Test("An attempt cancelled before it starts does not sleep")
    func cancelledBeforeStart() async throws {
        let sim = self.sim
        let recorder = heartbeats.recorder
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await sim.execute(makeActivity(input: ""), heartbeat: recorder)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.totalSleeps == 0)
    }
}

@Suite("ManualClock", .timeLimit(.minutes(1)))
struct ManualClockTests {
    @Test("advance wakes the sleepers whose deadline passed, earliest first, and no others")
    func wakesInDeadlineOrder() async throws {
        let clock = ManualClock()
        let order = WakeOrder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for milliseconds in [30, 10, 20, 50] {
                group.addTask {
                    try await clock.sleep(until: .zero.advanced(by: .milliseconds(milliseconds)))
                    order.values.withLock { $0.append(milliseconds) }
                }
            }
            await clock.waitForSleepers(count: 4)
            clock.advance(by: .milliseconds(30))
            for _ in 0..<3 { try await group.next() }
            #expect(order.values.withLock { $0 }.sorted() == [10, 20, 30])
            #expect(clock.sleeperCount == 1)
            #expect(clock.now == .zero.advanced(by: .milliseconds(30)))
            clock.advance(by: .milliseconds(20))
            try await group.waitForAll()
        }
        #expect(order.values.withLock { $0 }.last == 50)
    }

    @Test("A sleep whose deadline has passed returns at once")
    func pastDeadline() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(1))
        try await clock.sleep(for: .zero)
        try await clock.sleep(until: .zero)
        #expect(clock.totalSleeps == 0)
    }
}

private final class WakeOrder: Sendable {
    let values = Mutex<[Int]>([])
}

/// Collects heartbeat details.
final class RecordedHeartbeats: Sendable {
    private let details = Mutex<[String]>([])

    var all: [String] { details.withLock { $0 } }

    var recorder: HeartbeatRecorder {
        HeartbeatRecorder { detail in self.details.withLock { $0.append(detail) } }
    }
}

private func makeActivity(
    complexity: Complexity = .medium, input: String, attempt: Int = 1
) -> Activity {
    Activity(
        workflowID: "wf-1",
        task: TaskSpec(id: "t1", type: "api", complexity: complexity, executor: "sim", input: input),
        attempt: attempt, startToCloseTimeout: .seconds(60), heartbeatTimeout: .seconds(10))
}
