import Foundation
import Synchronization
import Testing
import WeftEngine
import WeftHTTP2
import WeftMessages
import WeftRPC
import WeftServer
import WeftTestSupport

/// `weft.v1.WorkerService` over 127.0.0.1 with the Swift client, playing the worker: a real server, a live engine
/// whose `queue:NAME` tasks go to the in-memory broker, on the real clock.
@Suite("Remote workers end to end over 127.0.0.1")
struct WorkerEndToEndTests {
    typealias E2E = WorkflowEndToEndTests
    static let poll = MethodDescriptor(service: WorkerService.name, method: "PollActivity", kind: .unary)
    static let heartbeat = MethodDescriptor(service: WorkerService.name, method: "RecordHeartbeat", kind: .unary)
    static let complete = MethodDescriptor(service: WorkerService.name, method: "CompleteActivity", kind: .unary)

    static func queued(
        _ id: String, _ dependsOn: String..., queue: String = "q", input: String = "", heartbeatMs: UInt64 = 0,
        scheduleToStartMs: UInt64 = 0, attempts: UInt32 = 0
    ) -> Weft_V1_TaskSpec {
        Weft_V1_TaskSpec(
            id: id, type: "work", complexity: .simple, description: "remote \(id)", dependsOn: dependsOn,
            executor: "queue:\(queue)", input: input,
            timeouts: Weft_V1_Timeouts(heartbeatMs: heartbeatMs, scheduleToStartMs: scheduleToStartMs),
            retryPolicy: attempts == 0 ? nil : Weft_V1_RetryPolicy(maxAttempts: attempts, initialIntervalMs: 10))
    }

    static func submit(_ client: GRPCClient, _ tasks: [Weft_V1_TaskSpec]) async throws -> String {
        try await client.unary(
            E2E.submit,
            Weft_V1_SubmitWorkflowRequest(
                description: "worker e2e", tasks: tasks, options: Weft_V1_ExecutionOptions(cache: Weft_V1_CacheOptions(disabled: true))),
            as: Weft_V1_SubmitWorkflowResponse.self
        ).workflowID
    }

    static func polling(_ client: GRPCClient, _ queue: String = "q") async throws -> Weft_V1_ActivityTask {
        try await withTimeout(.seconds(30), "polling \(queue)") {
            while true {
                let response = try await client.unary(
                    poll, Weft_V1_PollActivityRequest(queue: queue, workerID: "swift", identity: "test"),
                    as: Weft_V1_PollActivityResponse.self)
                if let activity = response.activity { return activity }
            }
        }
    }

    static func completing(_ client: GRPCClient, _ token: [UInt8], result: String) async throws {
        _ = try await client.unary(
            complete, Weft_V1_CompleteActivityRequest(taskToken: token, outcome: .result(result)),
            as: Weft_V1_CompleteActivityResponse.self)
    }

    static func failing(_ client: GRPCClient, _ token: [UInt8], _ message: String, type: String, retryable: Bool)
        async throws
    {
        _ = try await client.unary(
            complete,
            Weft_V1_CompleteActivityRequest(
                taskToken: token,
                outcome: .failure(Weft_V1_ActivityFailure(message: message, retryable: retryable, type: type))),
            as: Weft_V1_CompleteActivityResponse.self)
    }

    static func beating(_ client: GRPCClient, _ token: [UInt8], _ details: String = "") async throws -> Bool {
        try await client.unary(
            heartbeat, Weft_V1_RecordHeartbeatRequest(taskToken: token, details: details),
            as: Weft_V1_RecordHeartbeatResponse.self
        ).cancelRequested
    }

    static var shortPolls: ActivityBrokerConfig {
        var config = ActivityBrokerConfig()
        config.pollTimeout = .milliseconds(200)
        return config
    }

    @Test("A worker polls, heartbeats and completes a workflow's tasks; results flow into the events")
    func completesWorkflow() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let id = try await Self.submit(client, [Self.queued("a", input: "{\"n\":1}"), Self.queued("b", "a")])
            let first = try await Self.polling(client)
            #expect(first.workflowID == id)
            #expect(first.task?.id == "a")
            #expect(first.task?.input == "{\"n\":1}")
            #expect(first.task?.executor == "queue:q")
            #expect(first.attempt == 1)
            #expect(first.startToCloseMs == 20 * 60 * 1000)
            #expect(first.heartbeatTimeoutMs == 10 * 60 * 1000)
            #expect(first.deadlineUnixMs > UInt64(Date().timeIntervalSince1970 * 1000))
            #expect(first.heartbeatDetails.isEmpty)
            #expect(try await Self.beating(client, first.taskToken, "working") == false)
            try await Self.completing(client, first.taskToken, result: "A")
            let second = try await Self.polling(client)
            #expect(second.task?.id == "b")
            try await Self.completing(client, second.taskToken, result: "B")
            let events = try await E2E.watching(client, id)
            E2E.checkStream(events, id: id, tasks: ["a", "b"])
            let outputs = events.compactMap { event -> String? in
                if case .taskCompleted(let completed) = event.payload { return completed.result?.output }
                return nil
            }
            #expect(outputs == ["A", "B"])
            #expect(events.contains { if case .taskHeartbeat(let beat) = $0.payload { beat.details == "working" } else { false } })
        }
    }

    @Test("A retryable failure is retried and the next attempt receives the last heartbeat details")
    func retryWithDetails() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let id = try await Self.submit(client, [Self.queued("a", attempts: 3)])
            let first = try await Self.polling(client)
            _ = try await Self.beating(client, first.taskToken, "step 3 of 5")
            try await Self.failing(client, first.taskToken, "disk full", type: "OSError", retryable: true)
            let second = try await Self.polling(client)
            #expect(second.attempt == 2)
            #expect(second.heartbeatDetails == "step 3 of 5")
            try await Self.completing(client, second.taskToken, result: "resumed")
            let events = try await E2E.watching(client, id)
            #expect(events.contains {
                if case .taskFailed(let failed) = $0.payload { failed.errorType == "OSError" && failed.error == "disk full" && failed.willRetry } else { false }
            })
            #expect(E2E.kind(events.last!) == "workflow_completed")
        }
    }

    @Test("A non-retryable failure fails the task for good")
    func nonRetryable() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let id = try await Self.submit(client, [Self.queued("a", attempts: 3)])
            let first = try await Self.polling(client)
            try await Self.failing(client, first.taskToken, "bad input", type: "ValueError", retryable: false)
            let events = try await E2E.watching(client, id)
            #expect(E2E.kind(events.last!) == "workflow_failed")
            #expect(events.filter { E2E.kind($0) == "task_started" }.count == 1)
        }
    }

    @Test("An attempt that stops heartbeating is retried; its late completion is NOT_FOUND and discarded")
    func staleAfterHeartbeatTimeout() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let id = try await Self.submit(client, [Self.queued("a", heartbeatMs: 200, attempts: 2)])
            let first = try await Self.polling(client)
            let second = try await Self.polling(client)  // attempt 1 timed out, attempt 2 queued
            #expect(second.attempt == 2)
            #expect(try await Self.beating(client, first.taskToken) == true, "the timed-out attempt is told to stop")
            await E2E.expectRPCError(.notFound, containing: ["attempt 1", "discarded"]) {
                try await Self.completing(client, first.taskToken, result: "late")
            }
            try await Self.completing(client, second.taskToken, result: "on time")
            let events = try await E2E.watching(client, id)
            #expect(E2E.kind(events.last!) == "workflow_completed")
            #expect(events.contains { if case .taskFailed(let failed) = $0.payload { failed.errorType == "HeartbeatTimeout" } else { false } })
            #expect(events.contains { if case .taskCompleted(let done) = $0.payload { done.result?.output == "on time" } else { false } })
        }
    }

    @Test("Cancelling the workflow reaches the worker as cancel_requested; its completion is then NOT_FOUND")
    func cancellation() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let id = try await Self.submit(client, [Self.queued("a")])
            let activity = try await Self.polling(client)
            #expect(try await Self.beating(client, activity.taskToken) == false)
            let response = try await client.unary(
                E2E.cancel, Weft_V1_CancelWorkflowRequest(workflowID: id, reason: "user"),
                as: Weft_V1_CancelWorkflowResponse.self)
            #expect(response.status == .cancelled)
            #expect(try await Self.beating(client, activity.taskToken) == true)
            await E2E.expectRPCError(.notFound) { try await Self.completing(client, activity.taskToken, result: "late") }
        }
    }

    @Test("Schedule-to-start: a task no worker takes fails, naming its queue")
    func scheduleToStart() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let id = try await Self.submit(client, [Self.queued("a", queue: "nobody", scheduleToStartMs: 100, attempts: 3)])
            let events = try await E2E.watching(client, id)
            #expect(E2E.kind(events.last!) == "workflow_failed")
            let failures = events.compactMap { event -> Weft_V1_TaskFailed? in
                if case .taskFailed(let failed) = event.payload { return failed }
                return nil
            }
            #expect(failures.count == 1, "not retried")
            #expect(failures.first?.errorType == "ScheduleToStartTimeout")
            #expect(failures.first?.error.contains("queue \"nobody\"") == true)
        }
    }

    @Test("Schedule-to-start from the workflow's options applies to its queue tasks that set none")
    func workflowScheduleToStart() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let request = Weft_V1_SubmitWorkflowRequest(
                description: "worker e2e", tasks: [Self.queued("a", queue: "nobody-either")],
                options: Weft_V1_ExecutionOptions(
                    timeouts: Weft_V1_Timeouts(scheduleToStartMs: 100), cache: Weft_V1_CacheOptions(disabled: true)))
            let id = try await client.unary(E2E.submit, request, as: Weft_V1_SubmitWorkflowResponse.self).workflowID
            let events = try await E2E.watching(client, id)
            #expect(E2E.kind(events.last!) == "workflow_failed")
            let failure = events.compactMap { event -> Weft_V1_TaskFailed? in
                if case .taskFailed(let failed) = event.payload { return failed }
                return nil
            }.first
            #expect(failure?.errorType == "ScheduleToStartTimeout")
            #expect(failure?.error.contains("queue \"nobody-either\"") == true)
        }
    }

    @Test("A poll with nothing to take answers empty after the poll timeout")
    func emptyPoll() async throws {
        try await withWorkerTestServer(brokerConfig: Self.shortPolls) { client, _, _ in
            let response = try await client.unary(
                Self.poll, Weft_V1_PollActivityRequest(queue: "idle", workerID: "w"), as: Weft_V1_PollActivityResponse.self)
            #expect(response.activity == nil)
        }
    }

    @Test("A poll whose client goes away is cancelled at once: no poll is left waiting on the queue")
    func clientGone() async throws {
        try await withWorkerTestServer { client, _, broker in  // the default 60 s poll timeout
            let poll = Task {
                try await client.unary(
                    Self.poll, Weft_V1_PollActivityRequest(queue: "gone", workerID: "w"),
                    as: Weft_V1_PollActivityResponse.self)
            }
            try await waitUntil("the poll waits", within: .seconds(30)) {
                broker.queueStats().first?.waitingPollers == 1
            }
            poll.cancel()
            try await waitUntil("the poll is withdrawn", within: .seconds(30)) { broker.queueStats().isEmpty }
            _ = try? await poll.value
        }
    }

    @Test("Bad input: INVALID_ARGUMENT naming the field")
    func badInput() async throws {
        var config = Self.shortPolls
        config.maxHeartbeatDetailsBytes = 16
        try await withWorkerTestServer(brokerConfig: config) { client, _, _ in
            await E2E.expectRPCError(.invalidArgument, containing: ["queue is empty"]) {
                _ = try await client.unary(Self.poll, Weft_V1_PollActivityRequest(), as: Weft_V1_PollActivityResponse.self)
            }
            await E2E.expectRPCError(.invalidArgument, containing: ["queue", "letters, digits"]) {
                _ = try await client.unary(
                    Self.poll, Weft_V1_PollActivityRequest(queue: "no spaces"), as: Weft_V1_PollActivityResponse.self)
            }
            await E2E.expectRPCError(.invalidArgument, containing: ["task_token is empty"]) {
                _ = try await Self.beating(client, [])
            }
            await E2E.expectRPCError(.invalidArgument, containing: ["task_token is malformed"]) {
                try await Self.completing(client, [1, 2, 3], result: "x")
            }
            let token = TaskToken.fresh(workflowID: "wf", taskID: "t", attempt: 1).bytes
            await E2E.expectRPCError(.invalidArgument, containing: ["outcome is not set"]) {
                _ = try await client.unary(
                    Self.complete, Weft_V1_CompleteActivityRequest(taskToken: token), as: Weft_V1_CompleteActivityResponse.self)
            }
            await E2E.expectRPCError(.invalidArgument, containing: ["details is 17 bytes"]) {
                _ = try await Self.beating(client, token, String(repeating: "x", count: 17))
            }
            await E2E.expectRPCError(.notFound, containing: ["task \"t\" attempt 1 of workflow wf"]) {
                _ = try await Self.beating(client, token, "ok")
            }
            await E2E.expectRPCError(.invalidArgument, containing: ["unknown executor", "queue:bad name"]) {
                _ = try await Self.submit(
                    client, [Weft_V1_TaskSpec(id: "a", executor: "queue:bad name")])
            }
        }
    }
}
