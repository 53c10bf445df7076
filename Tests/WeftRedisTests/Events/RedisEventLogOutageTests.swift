import Synchronization
import Testing
import WeftEngine
import WeftRedis

/// The Redis event log through an outage: each test runs a redis-server of its own and stops it mid-run.
@Suite(
    "RedisEventLog through a Redis outage",
    .enabled(if: TestRedis.ownServerTestsEnabled, TestRedis.ownServerDisabled)
)
struct RedisEventLogOutageTests {
    @Test("while Redis is down accepted events are refused UNAVAILABLE, others buffer (bounded) and flush in order")
    func bufferAndFlush() async throws {
        let server = try await RedisServerProcess(persistent: true)
        let configuration = server.configuration(commandTimeout: .milliseconds(500))
        let client = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer { subscriber.shutdown(); client.shutdown() }
        let layout = WorkflowFixtures.layout()
        let changes = Mutex<[Bool]>([])
        let log = RedisEventLog(
            client: client, subscriber: subscriber, settings: WorkflowFixtures.settings(layout, writeBufferLimit: 5)
        ) { available in changes.withLock { $0.append(available) } }
        try await withRunning([log]) {
            try log.create(workflowID: "wf-o")
            try await log.append(
                workflowID: "wf-o", timeUnixMs: 1, progress: Progress(total: 1),
                payload: .workflowAccepted(plan: [], taskCount: 1),
                checkpoint: WorkflowCheckpoint(accepted: AcceptedWorkflow(spec: WorkflowFixtures.spec(1), createdUnixMs: 1)))
            await server.stop()
            #expect(await eventually { !log.isAvailable })
            #expect(changes.withLock { $0 } == [false])

            try log.create(workflowID: "wf-refused")
            do {
                try await log.append(
                    workflowID: "wf-refused", timeUnixMs: 1, progress: Progress(total: 1),
                    payload: .workflowAccepted(plan: [], taskCount: 1),
                    checkpoint: WorkflowCheckpoint(accepted: AcceptedWorkflow(spec: WorkflowFixtures.spec(1), createdUnixMs: 1)))
                Issue.record("an accepted event was taken while Redis is down")
            } catch let error as EngineError {
                #expect(error.code == .unavailable)
                #expect(error.message.contains("Redis"))
            }

            // Five writes fit the buffer; the sixth waits for room.
            for index in 0..<5 {
                try await log.append(
                    workflowID: "wf-o", timeUnixMs: 2, progress: Progress(total: 1),
                    payload: .taskHeartbeat(taskID: "t0", attempt: 1, details: "\(index)"))
            }
            #expect(log.backlog.count == 5 && log.backlog.bytes > 0)
            let sixth = Task {
                try await log.append(
                    workflowID: "wf-o", timeUnixMs: 3, progress: Progress(completed: 1, total: 1),
                    payload: .workflowCancelled(reason: "end"))
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(log.backlog.count == 5)

            try await server.start()
            _ = try await sixth.value
            #expect(await eventually(timeout: .seconds(15)) { log.backlog.count == 0 && log.isAvailable })
            #expect(changes.withLock { $0 } == [false, true])
        }
        let events = try await WorkflowFixtures.collect(try await log.watch(workflowID: "wf-o", afterSequence: 0))
        #expect(events.map(\.sequence) == Array(1...7))
        #expect(events.dropFirst().prefix(5).map(\.payload) == (0..<5).map {
            .taskHeartbeat(taskID: "t0", attempt: 1, details: "\($0)")
        })
        #expect(try await client.command("EXISTS", RedisArgument(layout.streamKey("wf-refused"))).integer == 0)
    }
}
