import MetricsTestKit
import Testing
import WeftEngine
import WeftHTTP2
import WeftMessages
import WeftRPC
import WeftServer
import WeftTestSupport

/// Admission control over 127.0.0.1: a real server and live engine with ``AdmissionControl`` on its observer
/// hooks; submissions past a limit get RESOURCE_EXHAUSTED, accepted work carries on, capacity comes back.
@Suite("Overload: admission control end to end")
struct OverloadEndToEndTests {
    static let submit = WorkflowEndToEndTests.submit
    static let cancel = WorkflowEndToEndTests.cancel

    /// Runs `body` against a WorkflowService whose engine reports to `admission`.
    static func withAdmissionServer<T: Sendable>(
        _ settings: OverloadSettings, metrics: TestMetrics? = nil,
        _ body: @Sendable (GRPCClient, AdmissionControl) async throws -> T
    ) async throws -> T {
        let admission = AdmissionControl(settings: settings, factory: metrics)
        let clock = EngineClock.live
        let engine = WorkflowEngine(
            config: .defaults, executors: ExecutorRegistry(sim: SimExecutor(clock: clock), exec: nil),
            eventLog: InMemoryEventLog(config: .defaults), clock: clock, observer: admission)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await engine.run()
                return nil
            }
            defer { engine.shutdown(reason: "the test is over") }
            let result = try await withTestServer(services: [WorkflowService(engine: engine, admission: admission)]) {
                client, _, _ in try await body(client, admission)
            }
            engine.shutdown(reason: "the test is over")
            while try await group.next() != nil {}
            return result
        }
    }

    static func long(_ count: Int) -> [Weft_V1_TaskSpec] {
        (0..<count).map { WorkflowEndToEndTests.sleeping("t\($0)", ms: 60_000) }
    }

    static func submitting(_ client: GRPCClient, _ tasks: [Weft_V1_TaskSpec], requestID: String = "")
        async throws -> Weft_V1_SubmitWorkflowResponse
    {
        try await WorkflowEndToEndTests.submitting(client, tasks, requestID: requestID)
    }

    static func refusal(_ client: GRPCClient, _ tasks: [Weft_V1_TaskSpec]) async throws -> RPCError {
        do {
            let reply = try await submitting(client, tasks)
            throw Accepted(workflowID: reply.workflowID)
        } catch let error as RPCError {
            return error
        }
    }

    /// A submission that was expected to fail was accepted.
    struct Accepted: Error {
        let workflowID: String
    }

    static func cancelling(_ client: GRPCClient, _ id: String) async throws {
        _ = try await client.unary(
            cancel, Weft_V1_CancelWorkflowRequest(workflowID: id, reason: "make room"),
            as: Weft_V1_CancelWorkflowResponse.self)
    }

    @Test("past --max-running-workflows: RESOURCE_EXHAUSTED naming the limit; running ones go on; room comes back")
    func runningWorkflows() async throws {
        var settings = OverloadSettings.defaults
        settings.maxRunningWorkflows = 2
        try await Self.withAdmissionServer(settings) { client, admission in
            let first = try await Self.submitting(client, Self.long(1))
            let second = try await Self.submitting(client, Self.long(1))
            let error = try await Self.refusal(client, Self.long(1))
            #expect(error.code == .resourceExhausted)
            #expect(error.message.contains("2 workflows running"))
            #expect(error.message.contains("--max-running-workflows is 2"))
            #expect(admission.usage.runningWorkflows == 2)
            for id in [first.workflowID, second.workflowID] {
                #expect(try await WorkflowEndToEndTests.snapshot(client, id).status == .running)
            }
            try await Self.cancelling(client, first.workflowID)
            try await waitUntil("the cancelled workflow releasing its slot") { admission.usage.runningWorkflows == 1 }
            let third = try await Self.submitting(client, Self.long(1))
            #expect(!third.workflowID.isEmpty)
        }
    }

    @Test("past --max-pending-tasks: RESOURCE_EXHAUSTED with current use; a smaller workflow still fits")
    func pendingTasks() async throws {
        var settings = OverloadSettings.defaults
        settings.maxPendingTasks = 5
        try await Self.withAdmissionServer(settings) { client, admission in
            let first = try await Self.submitting(client, Self.long(3))
            let error = try await Self.refusal(client, Self.long(3))
            #expect(error.code == .resourceExhausted)
            #expect(error.message.contains("3 tasks pending and 3 submitted, --max-pending-tasks is 5"))
            let tooBig = try await Self.refusal(client, Self.long(6))
            #expect(tooBig.message.contains("exceed --max-pending-tasks 5 on their own"))
            _ = try await Self.submitting(client, Self.long(2))
            #expect(admission.usage.pendingTasks == 5)
            try await Self.cancelling(client, first.workflowID)
            try await waitUntil("the cancelled workflow's tasks released") { admission.usage.pendingTasks == 2 }
            _ = try await Self.submitting(client, Self.long(3))
        }
    }

    @Test("finished tasks release their count one by one; a finished workflow releases the rest")
    func tasksRelease() async throws {
        try await Self.withAdmissionServer(.defaults) { client, admission in
            let tasks = [
                WorkflowEndToEndTests.sleeping("quick", ms: 5),
                WorkflowEndToEndTests.sleeping("slow", "quick", ms: 60_000),
            ]
            let reply = try await Self.submitting(client, tasks)
            try await waitUntil("the quick task finishing") { admission.usage.pendingTasks == 1 }
            #expect(admission.usage.runningWorkflows == 1)
            try await Self.cancelling(client, reply.workflowID)
            try await waitUntil("the workflow ending") { admission.usage == (0, 0) }
        }
    }

    @Test("a duplicate submission (same request_id) and an invalid one leave no reservation behind")
    func reservationsReleased() async throws {
        try await Self.withAdmissionServer(.defaults) { client, admission in
            let first = try await Self.submitting(client, Self.long(2), requestID: "same")
            let again = try await Self.submitting(client, Self.long(2), requestID: "same")
            #expect(again.deduplicated)
            #expect(again.workflowID == first.workflowID)
            let invalid = try await Self.refusal(client, [WorkflowEndToEndTests.task("a", "missing")])
            #expect(invalid.code == .invalidArgument)
            #expect(admission.usage == (1, 2))
        }
    }

    @Test("limits and use are gauges; refusals are counted by resource")
    func gauges() async throws {
        let metrics = TestMetrics()
        var settings = OverloadSettings.defaults
        settings.maxRunningWorkflows = 1
        settings.probes = [OverloadProbe(resource: "queued_activities", flag: "--max-queued-activities", limit: 10) { 3 }]
        try await Self.withAdmissionServer(settings, metrics: metrics) { client, admission in
            _ = try await Self.submitting(client, Self.long(4))
            _ = try? await Self.submitting(client, Self.long(1))
            admission.refreshGauges()
            func gauge(_ label: String, _ resource: String) throws -> Double? {
                try metrics.expectGauge(label, [("resource", resource)]).lastValue
            }
            #expect(try gauge("weft_overload_limit", "running_workflows") == 1)
            #expect(try gauge("weft_overload_in_use", "running_workflows") == 1)
            #expect(try gauge("weft_overload_limit", "pending_tasks") == 100_000)
            #expect(try gauge("weft_overload_in_use", "pending_tasks") == 4)
            #expect(try gauge("weft_overload_limit", "queued_activities") == 10)
            #expect(try gauge("weft_overload_in_use", "queued_activities") == 3)
            #expect(try metrics.expectCounter(
                "weft_overload_rejected_total", [("resource", "running_workflows")]).totalValue == 1)
        }
    }

    @Test("a probe at its limit refuses submissions, naming its flag")
    func probeLimit() async throws {
        var settings = OverloadSettings.defaults
        settings.probes = [OverloadProbe(resource: "queued_activities", flag: "--max-queued-activities", limit: 10) { 10 }]
        try await Self.withAdmissionServer(settings) { client, admission in
            let error = try await Self.refusal(client, Self.long(1))
            #expect(error.code == .resourceExhausted)
            #expect(error.message.contains("queued activities at 10 of --max-queued-activities 10"))
            #expect(admission.usage == (0, 0))
        }
    }
}
