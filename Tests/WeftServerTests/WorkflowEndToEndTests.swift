import Foundation
import Synchronization
import Testing
import WeftCLI
import WeftEngine
import WeftHTTP2
import WeftMessages
import WeftRPC
import WeftServer
import WeftTestSupport

/// `weft.v1.WorkflowService` over 127.0.0.1 with the Swift client: a real server, a live engine, the `sim`
/// executor on the real clock (tasks of tens to hundreds of milliseconds).
@Suite("Workflows end to end over 127.0.0.1")
struct WorkflowEndToEndTests {
    static let submit = MethodDescriptor(service: WorkflowService.name, method: "SubmitWorkflow", kind: .unary)
    static let watch = MethodDescriptor(service: WorkflowService.name, method: "WatchWorkflow", kind: .serverStreaming)
    static let get = MethodDescriptor(service: WorkflowService.name, method: "GetWorkflow", kind: .unary)
    static let cancel = MethodDescriptor(service: WorkflowService.name, method: "CancelWorkflow", kind: .unary)
    static let list = MethodDescriptor(service: WorkflowService.name, method: "ListWorkflows", kind: .unary)

    // MARK: Helpers

    static func task(_ id: String, _ dependsOn: String..., input: String = "", executor: String = "sim")
        -> Weft_V1_TaskSpec
    {
        Weft_V1_TaskSpec(id: id, type: "work", complexity: .medium, description: "task \(id)", dependsOn: dependsOn,
                         executor: executor, input: input)
    }

    static func sleeping(_ id: String, _ dependsOn: String..., ms: Int) -> Weft_V1_TaskSpec {
        Weft_V1_TaskSpec(id: id, type: "work", complexity: .medium, description: "task \(id)", dependsOn: dependsOn,
                         executor: "sim", input: "{\"duration_ms\": \(ms)}")
    }

    /// A DAG with parallel branches and a join.
    static let diamond: [Weft_V1_TaskSpec] = [
        sleeping("setup", ms: 40),
        Weft_V1_TaskSpec(id: "schema", type: "database", dependsOn: ["setup"],
                         input: #"{"duration_ms": 80, "output": "CREATE TABLE users (id SERIAL);"}"#),
        sleeping("auth", "setup", ms: 100),
        sleeping("api", "schema", "auth", ms: 50),
        sleeping("docs", "setup", ms: 20),
        sleeping("tests", "api", ms: 30),
    ]

    static func chain(_ count: Int, ms: Int) -> [Weft_V1_TaskSpec] {
        (0..<count).map { i in
            Weft_V1_TaskSpec(id: "t\(i)", dependsOn: i == 0 ? [] : ["t\(i - 1)"], input: "{\"duration_ms\": \(ms)}")
        }
    }

    static func submitting(_ client: GRPCClient, _ tasks: [Weft_V1_TaskSpec], requestID: String = "")
        async throws -> Weft_V1_SubmitWorkflowResponse
    {
        try await client.unary(
            submit, Weft_V1_SubmitWorkflowRequest(description: "swift e2e", tasks: tasks, requestID: requestID),
            as: Weft_V1_SubmitWorkflowResponse.self)
    }

    /// The whole stream of a watch (which must end OK), bounded in time.
    static func watching(_ client: GRPCClient, _ id: String, after: UInt64 = 0) async throws -> [Weft_V1_WorkflowEvent] {
        try await withTimeout(.seconds(30), "watching \(id)") {
            var events: [Weft_V1_WorkflowEvent] = []
            for try await event in client.serverStreaming(
                watch, Weft_V1_WatchWorkflowRequest(workflowID: id, afterSequence: after), as: Weft_V1_WorkflowEvent.self)
            {
                events.append(event)
            }
            return events
        }
    }

    static func snapshot(_ client: GRPCClient, _ id: String) async throws -> Weft_V1_GetWorkflowResponse {
        try await client.unary(get, Weft_V1_GetWorkflowRequest(workflowID: id), as: Weft_V1_GetWorkflowResponse.self)
    }

    static func kind(_ event: Weft_V1_WorkflowEvent) -> String {
        EventLine.kind(of: event)
    }

    static func describe(_ events: [Weft_V1_WorkflowEvent]) -> String {
        events.map { event in
            let progress = event.progress ?? Weft_V1_Progress()
            var line = "#\(event.sequence) \(kind(event)) [\(progress.completed)/\(progress.total) running \(progress.running)]"
            switch event.payload {
            case .taskStarted(let started): line += " \(started.taskID) attempt \(started.attempt)"
            case .taskCompleted(let completed): line += " \(completed.result?.taskID ?? "?")"
            case .taskFailed(let failed): line += " \(failed.taskID) \(failed.error)"
            default: break
            }
            return line
        }.joined(separator: "\n")
    }

    /// The invariants of a complete stream: sequence 1…N without gaps, one workflow, accepted first with the task
    /// count, exactly one terminal event and it is last; each task's attempts start before they end and run one at a
    /// time; progress.total is the task count, completed never goes down and ends at total with nothing running.
    static func checkStream(
        _ events: [Weft_V1_WorkflowEvent], id: String, tasks: [String], terminal: String = "workflow_completed",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let trace = describe(events)
        #expect(events.map(\.sequence) == Array(1...UInt64(max(events.count, 1))), "sequence gaps\n\(trace)",
                sourceLocation: sourceLocation)
        #expect(events.allSatisfy { $0.workflowID == id }, sourceLocation: sourceLocation)
        guard let first = events.first, let last = events.last else {
            Issue.record("empty stream", sourceLocation: sourceLocation)
            return
        }
        guard case .workflowAccepted(let accepted) = first.payload else {
            Issue.record("first event is \(kind(first))\n\(trace)", sourceLocation: sourceLocation)
            return
        }
        #expect(accepted.taskCount == UInt32(tasks.count), sourceLocation: sourceLocation)
        #expect(kind(last) == terminal, "\(trace)", sourceLocation: sourceLocation)
        let terminals = events.filter { ["workflow_completed", "workflow_failed", "workflow_cancelled"].contains(kind($0)) }
        #expect(terminals.count == 1, "\(trace)", sourceLocation: sourceLocation)

        var running: [String: UInt32] = [:]
        var lastAttempt: [String: UInt32] = [:]
        var ended: Set<String> = []
        var completed: UInt32 = 0
        for event in events {
            let progress = event.progress ?? Weft_V1_Progress()
            #expect(progress.total == UInt32(tasks.count), "#\(event.sequence)\n\(trace)", sourceLocation: sourceLocation)
            #expect(progress.completed >= completed, "#\(event.sequence) completed went down\n\(trace)",
                    sourceLocation: sourceLocation)
            completed = progress.completed
            switch event.payload {
            case .taskStarted(let started):
                #expect(running[started.taskID] == nil && !ended.contains(started.taskID), "#\(event.sequence)\n\(trace)",
                        sourceLocation: sourceLocation)
                #expect(started.attempt == (lastAttempt[started.taskID] ?? 0) + 1, "#\(event.sequence)\n\(trace)",
                        sourceLocation: sourceLocation)
                running[started.taskID] = started.attempt
                lastAttempt[started.taskID] = started.attempt
            case .taskCompleted(let done):
                let taskID = done.result?.taskID ?? ""
                #expect(running.removeValue(forKey: taskID) == done.result?.attempt,
                        "#\(event.sequence) \(taskID) completed without a started attempt\n\(trace)",
                        sourceLocation: sourceLocation)
                ended.insert(taskID)
            case .taskFailed(let failed):
                #expect(running.removeValue(forKey: failed.taskID) == failed.attempt, "#\(event.sequence)\n\(trace)",
                        sourceLocation: sourceLocation)
                if !failed.willRetry { ended.insert(failed.taskID) }
            case .taskSkipped(let skipped):
                ended.insert(skipped.taskID)
            case .taskHeartbeat(let beat):
                #expect(running[beat.taskID] == beat.attempt, "#\(event.sequence)\n\(trace)", sourceLocation: sourceLocation)
            default:
                break
            }
        }
        #expect(last.progress?.completed == UInt32(tasks.count) && last.progress?.running == 0, "\(trace)",
                sourceLocation: sourceLocation)
        if terminal == "workflow_completed" {
            #expect(ended == Set(tasks) && running.isEmpty, "not every task ended\n\(trace)", sourceLocation: sourceLocation)
        }
    }

    static func expectRPCError(
        _ code: StatusCode, containing needles: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected \(code), the call succeeded", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            for needle in needles {
                #expect(error.message.contains(needle), "message \(error.message.debugDescription) lacks \(needle)",
                        sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Tests

    @Test("submit + watch: every event in order, each task started before it completes, terminal last; replay equal")
    func submitAndWatch() async throws {
        try await withWorkflowTestServer { client, _, _ in
            let reply = try await Self.submitting(client, Self.diamond)
            #expect(!reply.workflowID.isEmpty && !reply.deduplicated)
            let planned = reply.plan.flatMap(\.tasks).map(\.taskID)
            #expect(Set(planned) == Set(Self.diamond.map(\.id)))
            let events = try await Self.watching(client, reply.workflowID)
            Self.checkStream(events, id: reply.workflowID, tasks: Self.diamond.map(\.id))
            if case .workflowAccepted(let accepted) = events.first?.payload {
                #expect(accepted.plan == reply.plan)
            }
            var position: [String: Int] = [:]
            for (index, event) in events.enumerated() {
                switch event.payload {
                case .taskStarted(let started): position["start " + started.taskID] = index
                case .taskCompleted(let done): position["done " + (done.result?.taskID ?? "")] = index
                default: break
                }
            }
            for task in Self.diamond {
                for dependency in task.dependsOn {
                    #expect(position["done " + dependency]! < position["start " + task.id]!, "\(task.id) after \(dependency)")
                }
            }
            let schema = events.compactMap { event -> Weft_V1_TaskResult? in
                if case .taskCompleted(let done) = event.payload, done.result?.taskID == "schema" { return done.result }
                return nil
            }
            #expect(schema.map(\.output) == ["CREATE TABLE users (id SERIAL);"])
            let replay = try await Self.watching(client, reply.workflowID)
            #expect(replay == events, "a replay of the finished workflow differs from the live stream")
            let snapshot = try await Self.snapshot(client, reply.workflowID)
            #expect(snapshot.status == .completed)
            #expect(snapshot.lastSequence == UInt64(events.count))
            #expect(snapshot.tasks.allSatisfy { $0.status == .completed && $0.attempt == 1 })
        }
    }

    @Test("resume: stop at event k, watch again with after_sequence k, get exactly k+1…N")
    func resume() async throws {
        try await withWorkflowTestServer { client, _, _ in
            let tasks = Self.chain(6, ms: 100)
            let reply = try await Self.submitting(client, tasks)
            let k = 4
            let firstPart = try await withTimeout(.seconds(10), "the first \(k) events") {
                var events: [Weft_V1_WorkflowEvent] = []
                for try await event in client.serverStreaming(
                    Self.watch, Weft_V1_WatchWorkflowRequest(workflowID: reply.workflowID),
                    as: Weft_V1_WorkflowEvent.self)
                {
                    events.append(event)
                    if events.count == k { break }
                }
                return events
            }
            #expect(firstPart.map(\.sequence) == Array(1...UInt64(k)))
            #expect(try await Self.snapshot(client, reply.workflowID).status == .running,
                    "the workflow ended before the resume")
            let rest = try await Self.watching(client, reply.workflowID, after: UInt64(k))
            let full = try await Self.watching(client, reply.workflowID)
            Self.checkStream(full, id: reply.workflowID, tasks: tasks.map(\.id))
            #expect(rest.map(\.sequence) == Array(UInt64(k + 1)...UInt64(full.count)))
            #expect(firstPart + rest == full)
            #expect(try await Self.watching(client, reply.workflowID, after: UInt64(full.count)).isEmpty)
        }
    }

    @Test("50 concurrent watchers on one running workflow all receive the identical stream")
    func fiftyWatchers() async throws {
        try await withWorkflowTestServer { client, _, port in
            let tasks = (0..<4).map { Self.sleeping("p\($0)", ms: 150) } + Self.chain(5, ms: 150)
            let reply = try await Self.submitting(client, tasks)
            // Two connections: 25 watchers on the shared client, 25 on a second one.
            let second = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let live = Counter()
            let watched: Result<[[Weft_V1_WorkflowEvent]], any Error>
            do {
                watched = .success(try await withThrowingTaskGroup(of: [Weft_V1_WorkflowEvent].self) { group in
                for index in 0..<50 {
                    let caller = index.isMultiple(of: 2) ? client : second
                    group.addTask {
                        try await withTimeout(.seconds(30), "watcher \(index)") {
                            var events: [Weft_V1_WorkflowEvent] = []
                            for try await event in caller.serverStreaming(
                                Self.watch, Weft_V1_WatchWorkflowRequest(workflowID: reply.workflowID),
                                as: Weft_V1_WorkflowEvent.self)
                            {
                                if events.isEmpty { live.increment() }
                                events.append(event)
                            }
                            return events
                        }
                    }
                }
                try await waitUntil("all 50 watchers receiving") { live.value == 50 }
                #expect(try await Self.snapshot(client, reply.workflowID).status == .running,
                        "the workflow ended before all watchers were live")
                var all: [[Weft_V1_WorkflowEvent]] = []
                for try await events in group { all.append(events) }
                return all
            })
            } catch {
                watched = .failure(error)
            }
            await second.close()
            let streams = try watched.get()
            #expect(streams.count == 50)
            let reference = streams[0]
            Self.checkStream(reference, id: reply.workflowID, tasks: tasks.map(\.id))
            for (index, stream) in streams.enumerated() {
                #expect(stream == reference, "watcher \(index) got a different stream")
            }
        }
    }

    @Test("cancellation: CancelWorkflow mid-run ends the stream with workflow_cancelled, tasks CANCELLED")
    func cancellation() async throws {
        try await withWorkflowTestServer { client, _, _ in
            let tasks = [Self.sleeping("long1", ms: 30_000), Self.sleeping("long2", ms: 30_000),
                         Self.sleeping("after", "long1", ms: 10)]
            let reply = try await Self.submitting(client, tasks)
            let started = Counter()
            let watcher = Task {
                try await withTimeout(.seconds(15), "the cancelled watch") {
                    var events: [Weft_V1_WorkflowEvent] = []
                    for try await event in client.serverStreaming(
                        Self.watch, Weft_V1_WatchWorkflowRequest(workflowID: reply.workflowID),
                        as: Weft_V1_WorkflowEvent.self)
                    {
                        if case .taskStarted = event.payload { started.increment() }
                        events.append(event)
                    }
                    return events
                }
            }
            try await waitUntil("both long tasks starting") { started.value == 2 }
            let clock = ContinuousClock()
            let begin = clock.now
            let answer = try await client.unary(
                Self.cancel, Weft_V1_CancelWorkflowRequest(workflowID: reply.workflowID, reason: "stop it"),
                as: Weft_V1_CancelWorkflowResponse.self)
            #expect(answer.status == .cancelled)
            let events = try await watcher.value
            #expect(clock.now - begin < .seconds(5))
            Self.checkStream(events, id: reply.workflowID, tasks: tasks.map(\.id), terminal: "workflow_cancelled")
            if case .workflowCancelled(let cancelled) = events.last?.payload {
                #expect(cancelled.reason == "stop it")
            }
            let snapshot = try await Self.snapshot(client, reply.workflowID)
            #expect(snapshot.status == .cancelled)
            #expect(snapshot.tasks.map(\.status) == [.cancelled, .cancelled, .cancelled])
            #expect(snapshot.tasks.first { $0.taskID == "long1" }?.attempt == 1)
            #expect(snapshot.finishedUnixMs >= snapshot.createdUnixMs)
        }
    }

    @Test("idempotent resubmission: the same request_id returns the same workflow, deduplicated")
    func idempotentResubmit() async throws {
        try await withWorkflowTestServer { client, _, _ in
            let tasks = Self.chain(2, ms: 50)
            let first = try await Self.submitting(client, tasks, requestID: "swift-req-1")
            #expect(!first.deduplicated)
            let again = try await Self.submitting(client, tasks, requestID: "swift-req-1")
            #expect(again.workflowID == first.workflowID && again.deduplicated)
            let events = try await Self.watching(client, first.workflowID)
            Self.checkStream(events, id: first.workflowID, tasks: tasks.map(\.id))
            let afterEnd = try await Self.submitting(client, tasks, requestID: "swift-req-1")
            #expect(afterEnd.workflowID == first.workflowID && afterEnd.deduplicated)
            let other = try await Self.submitting(client, tasks, requestID: "swift-req-2")
            #expect(other.workflowID != first.workflowID && !other.deduplicated)
            let listed = try await client.unary(
                Self.list, Weft_V1_ListWorkflowsRequest(), as: Weft_V1_ListWorkflowsResponse.self)
            #expect(listed.workflows.map(\.workflowID) == [other.workflowID, first.workflowID])
        }
    }

    @Test("validation errors are INVALID_ARGUMENT with a message naming the problem; nothing is kept")
    func validation() async throws {
        var config = EngineConfig.defaults
        config.limits.maxTasks = 3
        try await withWorkflowTestServer(engineConfig: config) { client, _, _ in
            let cases: [(tasks: [Weft_V1_TaskSpec], needles: [String])] = [
                ([Self.task("a", "b"), Self.task("b", "c"), Self.task("c", "a")], ["dependency cycle: a → b → c → a"]),
                ([Self.task("a"), Self.task("b", "ghost")], ["task \"b\"", "depends_on", "\"ghost\""]),
                ([Self.task("a"), Self.task("a")], ["task \"a\"", "duplicate"]),
                ([], ["tasks", "empty"]),
                ((0..<4).map { Self.task("t\($0)") }, ["tasks", "4", "3"]),
                ([Self.task("a", executor: "teleport")], ["task \"a\"", "executor", "\"teleport\""]),
                ([Self.task("a", executor: "exec:nope")], ["task \"a\"", "executor", "exec:nope"]),
            ]
            for (tasks, needles) in cases {
                await Self.expectRPCError(.invalidArgument, containing: needles) {
                    _ = try await Self.submitting(client, tasks, requestID: "refused")
                }
            }
            let listed = try await client.unary(
                Self.list, Weft_V1_ListWorkflowsRequest(), as: Weft_V1_ListWorkflowsResponse.self)
            #expect(listed.workflows.isEmpty, "a refused workflow was kept")
            let accepted = try await Self.submitting(client, [Self.sleeping("a", ms: 0)], requestID: "refused")
            #expect(!accepted.deduplicated, "the request_id of a refused submission was kept")
        }
    }

    @Test("an unknown workflow is NOT_FOUND in Get, Watch and Cancel")
    func notFound() async throws {
        try await withWorkflowTestServer { client, _, _ in
            let missing = "wf-nosuchworkflow"
            await Self.expectRPCError(.notFound, containing: [missing]) {
                _ = try await Self.snapshot(client, missing)
            }
            await Self.expectRPCError(.notFound, containing: [missing]) {
                _ = try await Self.watching(client, missing)
            }
            await Self.expectRPCError(.notFound, containing: [missing]) {
                _ = try await client.unary(
                    Self.cancel, Weft_V1_CancelWorkflowRequest(workflowID: missing),
                    as: Weft_V1_CancelWorkflowResponse.self)
            }
        }
    }
}

/// A counter shared between a test and its watcher tasks.
private final class Counter: Sendable {
    private let count = Mutex(0)

    func increment() { count.withLock { $0 += 1 } }

    var value: Int { count.withLock { $0 } }
}
