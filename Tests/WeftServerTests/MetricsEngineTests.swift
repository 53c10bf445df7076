import Logging
import MetricsTestKit
import Testing
import WeftEngine
import WeftServer

/// The engine's observer turns workflow and task outcomes into swift-metrics counters.
@Suite("Engine metrics")
struct MetricsEngineTests {
    static func run(_ tasks: [TaskSpec], options: WorkflowOptions = WorkflowOptions(), metrics: TestMetrics) async throws {
        var logger = Logger(label: "weft.test")
        logger.logLevel = .critical
        let clock = EngineClock.live
        var config = EngineConfig.defaults
        config.maxAttempts = 2
        config.initialRetryInterval = .milliseconds(5)
        let engine = WorkflowEngine(
            config: config, executors: ExecutorRegistry(sim: SimExecutor(clock: clock), exec: nil),
            eventLog: InMemoryEventLog(config: config), clock: clock,
            observer: EngineTelemetry(logger: logger, factory: metrics))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            defer { engine.shutdown(reason: "the test is over") }
            let submission = try await engine.submit(WorkflowSpec(tasks: tasks, options: options))
            for try await _ in try await engine.watch(workflowID: submission.workflowID, afterSequence: 0) {}
            engine.shutdown(reason: "the test is over")
            try await group.waitForAll()
        }
    }

    @Test("a completed workflow counts its tasks, attempts and status")
    func completedWorkflow() async throws {
        let metrics = TestMetrics()
        try await Self.run(
            [TaskSpec(id: "a", type: "work", description: "a", executor: "sim", input: #"{"duration_ms": 5}"#),
             TaskSpec(id: "b", type: "work", description: "b", dependsOn: ["a"], executor: "sim",
                      input: #"{"duration_ms": 5}"#)],
            metrics: metrics)
        #expect(try metrics.expectCounter("weft_workflows_started_total").totalValue == 1)
        #expect(try metrics.expectCounter("weft_workflows_total", [("status", "completed")]).totalValue == 1)
        #expect(try metrics.expectCounter("weft_tasks_total", [("outcome", "completed")]).totalValue == 2)
        #expect(try metrics.expectCounter("weft_activity_attempts_total").totalValue == 2)
        #expect(try metrics.expectMeter("weft_workflows_running").lastValue == 0)
    }

    @Test("a failing task is retried, fails for good and its dependent is skipped")
    func failedWorkflow() async throws {
        let metrics = TestMetrics()
        try await Self.run(
            [TaskSpec(id: "a", type: "work", description: "a", executor: "sim", input: #"{"fail_attempts": 5, "duration_ms": 5}"#),
             TaskSpec(id: "b", type: "work", description: "b", dependsOn: ["a"], executor: "sim")],
            metrics: metrics)
        #expect(try metrics.expectCounter("weft_workflows_total", [("status", "failed")]).totalValue == 1)
        #expect(try metrics.expectCounter("weft_tasks_total", [("outcome", "failed")]).totalValue == 1)
        #expect(try metrics.expectCounter("weft_tasks_total", [("outcome", "skipped")]).totalValue == 1)
        #expect(try metrics.expectCounter("weft_activity_attempts_total").totalValue == 2)
        #expect(try metrics.expectCounter("weft_activity_retries_total").totalValue == 1)
    }

    @Test("an attempt that stops heartbeating counts a heartbeat timeout")
    func heartbeatTimeout() async throws {
        let metrics = TestMetrics()
        try await Self.run(
            [TaskSpec(id: "a", type: "work", description: "a", executor: "sim",
                      input: #"{"duration_ms": 2000, "heartbeat_ms": 5, "stop_heartbeat_after_ms": 10}"#,
                      timeouts: ActivityTimeouts(heartbeat: .milliseconds(60)))],
            metrics: metrics)
        #expect(try metrics.expectCounter("weft_activity_heartbeat_timeouts_total").totalValue == 2)
        #expect(try metrics.expectCounter("weft_workflows_total", [("status", "failed")]).totalValue == 1)
    }

    @Test("the ready queue: tasks waiting for a slot, back to zero at the end")
    func readyQueue() async throws {
        let metrics = TestMetrics()
        let tasks = (0..<4).map {
            TaskSpec(id: "t\($0)", type: "work", description: "t\($0)", executor: "sim", input: #"{"duration_ms": 5}"#)
        }
        try await Self.run(tasks, options: WorkflowOptions(maxParallel: 1, mode: .eager), metrics: metrics)
        let ready = try metrics.expectMeter("weft_scheduler_ready_tasks")
        // Four ready, one slot: 3 wait, then 2, 1, 0 as each finishes and the next starts.
        #expect(ready.values == [3, 2, 1, 0])
    }
}
