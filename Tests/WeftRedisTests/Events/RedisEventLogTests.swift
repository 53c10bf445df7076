import Foundation
import Testing
import WeftEngine
import WeftMapping
import WeftMessages
import WeftRedis

/// The Redis event log against the shared redis-server: what is written where, watching across processes (two
/// logs with their own connections), and resuming stored workflows.
@Suite("RedisEventLog", .enabled(if: TestRedis.sharedServerTestsEnabled, TestRedis.sharedServerDisabled))
struct RedisEventLogTests {
    @Test("each event is one stream entry with seq, kind, task_id, event bytes and summary, and its state beside it")
    func layoutOfOneWorkflow() async throws {
        let configuration = try TestRedis.configuration()
        let client = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer { subscriber.shutdown(); client.shutdown() }
        let layout = WorkflowFixtures.layout()
        let log = RedisEventLog(client: client, subscriber: subscriber, settings: WorkflowFixtures.settings(layout))
        let spec = WorkflowFixtures.spec(2)
        try await withRunning([log]) {
            try log.create(workflowID: "wf-a")
            try await log.append(
                workflowID: "wf-a", timeUnixMs: 1000, progress: Progress(total: 2),
                payload: .workflowAccepted(plan: [], taskCount: 2),
                checkpoint: WorkflowCheckpoint(accepted: AcceptedWorkflow(spec: spec, createdUnixMs: 1000)))
            // Stored before append returned.
            #expect(try await client.command("SISMEMBER", RedisArgument(layout.activeKey), "wf-a").integer == 1)
            var started = TaskState(taskID: "t0", status: .running, attempt: 1)
            started.startedUnixMs = 1001
            try await log.append(
                workflowID: "wf-a", timeUnixMs: 1001, progress: Progress(total: 2, running: 1),
                payload: .taskStarted(taskID: "t0", attempt: 1, executor: "sim"),
                checkpoint: WorkflowCheckpoint(tasks: [started]))
            var finished = WorkflowCheckpoint(tasks: [started])
            finished.finished = (.cancelled, 1002)
            let last = try await log.append(
                workflowID: "wf-a", timeUnixMs: 1002, progress: Progress(completed: 2, total: 2),
                payload: .workflowCancelled(reason: "test"), checkpoint: finished)
            #expect(last.sequence == 3)
            #expect(await eventually { log.backlog.count == 0 })
        }
        let entries = try await client.command("XRANGE", RedisArgument(layout.streamKey("wf-a")), "-", "+").array ?? []
        #expect(entries.count == 3)
        let second = entries[1].array ?? []
        #expect(second.first?.string == "0-2")
        let fields = Dictionary(uniqueKeysWithValues: stride(from: 0, to: second[1].array!.count, by: 2).map {
            (second[1].array![$0].string!, second[1].array![$0 + 1])
        })
        #expect(fields["seq"]?.string == "2")
        #expect(fields["kind"]?.string == "task_started")
        #expect(fields["task_id"]?.string == "t0")
        let event = try WorkflowMapping.event(from: Weft_V1_WorkflowEvent(wireBytes: fields["event"]!.bytes!))
        #expect(event.payload == .taskStarted(taskID: "t0", attempt: 1, executor: "sim"))
        let summary = try JSONSerialization.jsonObject(with: Data(fields["summary"]!.bytes!)) as? [String: Any]
        #expect(summary?["kind"] as? String == "task_started" && summary?["attempt"] as? Int == 1)
        // The terminal event finished the state, left the active set and started the retention clock.
        let state = try await client.command("HGET", RedisArgument(layout.workflowKey("wf-a")), "status")
        #expect(state.string == "CANCELLED")
        #expect(try await client.command("SISMEMBER", RedisArgument(layout.activeKey), "wf-a").integer == 0)
        let ttl = try await client.command("TTL", RedisArgument(layout.streamKey("wf-a"))).integer ?? -1
        #expect(ttl > 0 && ttl <= 120)
        let task = try await client.command("HGET", RedisArgument(layout.tasksKey("wf-a")), "t0")
        let stored = WorkflowMapping.taskState(from: try Weft_V1_TaskState(wireBytes: task.bytes ?? []))
        #expect(stored.status == .running && stored.attempt == 1 && stored.startedUnixMs == 1001)
    }

    @Test("a watcher on another log (another process) gets replay then live events, each once, in order, paged")
    func watchAcrossProcesses() async throws {
        let configuration = try TestRedis.configuration()
        let clients = [RedisClient(configuration: configuration), RedisClient(configuration: configuration)]
        let subscribers = [RedisSubscriber(configuration: configuration), RedisSubscriber(configuration: configuration)]
        defer { for s in subscribers { s.shutdown() }; for c in clients { c.shutdown() } }
        let layout = WorkflowFixtures.layout()
        let writer = RedisEventLog(
            client: clients[0], subscriber: subscribers[0], settings: WorkflowFixtures.settings(layout))
        // Pages of 8 and a consumer buffer of 8: the reader pages through the replay and waits for the consumer.
        var readerSettings = WorkflowFixtures.settings(layout)
        readerSettings.readPageSize = 8
        let reader = RedisEventLog(client: clients[1], subscriber: subscribers[1], settings: readerSettings)
        try await withRunning([writer, reader]) {
            try writer.create(workflowID: "wf-b")
            try await writer.append(
                workflowID: "wf-b", timeUnixMs: 1, progress: Progress(total: 1),
                payload: .workflowAccepted(plan: [], taskCount: 1),
                checkpoint: WorkflowCheckpoint(accepted: AcceptedWorkflow(spec: WorkflowFixtures.spec(1), createdUnixMs: 1)))
            for index in 0..<20 {
                try await writer.append(
                    workflowID: "wf-b", timeUnixMs: 2, progress: Progress(total: 1, running: 1),
                    payload: .taskHeartbeat(taskID: "t0", attempt: 1, details: "\(index)"))
            }
            let stream = try await reader.watch(workflowID: "wf-b", afterSequence: 5)
            let collecting = Task { try await WorkflowFixtures.collect(stream) }
            for index in 20..<200 {
                try await writer.append(
                    workflowID: "wf-b", timeUnixMs: 3, progress: Progress(total: 1, running: 1),
                    payload: .taskHeartbeat(taskID: "t0", attempt: 1, details: "\(index)"))
            }
            try await writer.append(
                workflowID: "wf-b", timeUnixMs: 4, progress: Progress(completed: 1, total: 1),
                payload: .workflowCancelled(reason: "done"))
            let events = try await collecting.value
            #expect(events.map(\.sequence) == Array(6...202))
            #expect(events.last?.payload == .workflowCancelled(reason: "done"))
            // A finished workflow replays and ends; past its end the stream ends at once.
            let all = try await WorkflowFixtures.collect(try await reader.watch(workflowID: "wf-b", afterSequence: 0))
            #expect(all.count == 202)
            #expect(try await WorkflowFixtures.collect(try await reader.watch(workflowID: "wf-b", afterSequence: 202)).isEmpty)
            #expect(await reader.lastSequence(workflowID: "wf-b") == 202)
        }
        await #expect(throws: EngineError.self) { _ = try await reader.watch(workflowID: "wf-none", afterSequence: 0) }
    }

    @Test("an engine resumes a stored workflow: completed tasks keep results, sequences continue, it completes")
    func engineResumesStoredWorkflow() async throws {
        let configuration = try TestRedis.configuration()
        let layout = WorkflowFixtures.layout()
        let firstClient = RedisClient(configuration: configuration)
        let firstSubscriber = RedisSubscriber(configuration: configuration)
        let firstLog = RedisEventLog(
            client: firstClient, subscriber: firstSubscriber, settings: WorkflowFixtures.settings(layout))
        let first = WorkflowFixtures.engine(firstLog)
        let spec = WorkflowFixtures.spec(9, durationMs: 150)
        // Run until some tasks completed, then stop the engine: with a durable store it leaves the workflow active.
        let (workflowID, before) = try await withRunning([firstLog], engines: [first]) {
            let submission = try await first.submit(spec)
            #expect(await eventually { (try? first.snapshot(workflowID: submission.workflowID).progress.completed) ?? 0 >= 3 })
            first.shutdown(reason: "restart")
            #expect(await eventually { firstLog.backlog.count == 0 })
            return (submission.workflowID, try first.snapshot(workflowID: submission.workflowID))
        }
        firstSubscriber.shutdown()
        firstClient.shutdown()
        let completedBefore = Set(before.tasks.filter { $0.status == .completed }.map(\.taskID))
        #expect(completedBefore.count >= 3)

        let client = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer { subscriber.shutdown(); client.shutdown() }
        let log = RedisEventLog(client: client, subscriber: subscriber, settings: WorkflowFixtures.settings(layout))
        let stored = try await log.activeWorkflows(skipping: { _ in false })
        #expect(stored.map(\.workflowID) == [workflowID])
        #expect(stored.first?.accepted.spec == spec)
        let engine = WorkflowEngine(
            executors: ExecutorRegistry(sim: SimExecutor(clock: .live), exec: nil), eventLog: log, store: log)
        let events = try await withRunning([log], engines: [engine]) {
            #expect(try await engine.resumeStoredWorkflows() == [workflowID])
            #expect(try await engine.resumeStoredWorkflows().isEmpty)
            return try await WorkflowFixtures.collect(try await engine.watch(workflowID: workflowID, afterSequence: 0))
        }
        #expect(events.map(\.sequence) == Array(1...UInt64(events.count)))
        guard case .workflowCompleted = events.last?.payload else {
            Issue.record("last event \(String(describing: events.last))")
            return
        }
        var completions: [String: Int] = [:]
        var startsAfterRestart: [String] = []
        for event in events {
            switch event.payload {
            case .taskCompleted(let result): completions[result.taskID, default: 0] += 1
            case .taskStarted(let taskID, _, _) where event.sequence > before.lastSequence: startsAfterRestart.append(taskID)
            default: break
            }
        }
        #expect(completions == Dictionary(uniqueKeysWithValues: spec.tasks.map { ($0.id, 1) }))
        #expect(Set(startsAfterRestart).isDisjoint(with: completedBefore))
        #expect(try await client.command("SCARD", RedisArgument(layout.activeKey)).integer == 0)
    }
}

/// Ownership: a workflow is resumed by another process only once its owner's lease has expired.
@Suite("RedisEventLog leases", .enabled(if: TestRedis.sharedServerTestsEnabled, TestRedis.sharedServerDisabled))
struct RedisEventLogLeaseTests {
    @Test("a live owner keeps its workflows; once its lease expires another process claims them, once")
    func takeOver() async throws {
        let configuration = try TestRedis.configuration()
        let client = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer { subscriber.shutdown(); client.shutdown() }
        let layout = WorkflowFixtures.layout()
        var settings = WorkflowFixtures.settings(layout)
        // Long enough that a loaded test machine does not let a renewed lease lapse.
        settings.lease = .seconds(3)
        let owner = RedisEventLog(client: client, subscriber: subscriber, settings: settings)
        let other = RedisEventLog(client: client, subscriber: subscriber, settings: settings)
        let third = RedisEventLog(client: client, subscriber: subscriber, settings: settings)
        try owner.create(workflowID: "wf-l")
        try await withRunning([owner]) {
            try await owner.append(
                workflowID: "wf-l", timeUnixMs: 1, progress: Progress(total: 1),
                payload: .workflowAccepted(plan: [], taskCount: 1),
                checkpoint: WorkflowCheckpoint(accepted: AcceptedWorkflow(spec: WorkflowFixtures.spec(1), createdUnixMs: 1)))
            #expect(try await other.activeWorkflows(skipping: { _ in false }).isEmpty)
        }
        // Stopping the writer dropped the lease; put back one that is no longer renewed, as after a crash.
        _ = try await client.command("SET", RedisArgument(layout.ownerKey(owner.instanceID)), "1", "PX", "1500")
        #expect(try await other.activeWorkflows(skipping: { _ in false }).isEmpty)
        #expect(await eventually(timeout: .seconds(10)) { (try? await other.activeWorkflows(skipping: { _ in false }).map(\.workflowID)) == ["wf-l"] })
        let stored = try await client.command("HGET", RedisArgument(layout.workflowKey("wf-l")), "owner")
        #expect(stored.string == other.instanceID)
        // The new owner's lease is alive (activeWorkflows renewed it): a third process does not take it.
        #expect(try await third.activeWorkflows(skipping: { _ in false }).isEmpty)
    }
}
