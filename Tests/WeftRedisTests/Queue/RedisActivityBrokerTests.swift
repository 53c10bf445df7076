import Synchronization
import Testing
import WeftEngine
import WeftRedis

/// ``RedisActivityBroker`` against the shared redis-server: two brokers (two "processes") on one Redis, each under a
/// key prefix of its own test, so the owner side of one and the worker side of the other meet only through Redis.
@Suite("RedisActivityBroker", .enabled(if: TestRedis.sharedServerTestsEnabled, TestRedis.sharedServerDisabled))
struct RedisActivityBrokerTests {
    /// Activities as `workflow|task|attempt|start-to-close ms|heartbeat ms|details` (the server uses protobuf).
    static let codec = ActivityCodec(
        encode: { activity in
            Array([activity.workflowID, activity.task.id, "\(activity.attempt)",
                   "\(activity.startToCloseTimeout.components.seconds * 1000)",
                   "\(activity.heartbeatTimeout.components.seconds * 1000)", activity.lastHeartbeatDetails]
                .joined(separator: "|").utf8)
        },
        decode: { bytes in
            let parts = String(decoding: bytes, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 6, let attempt = Int(parts[2]), let close = Int64(parts[3]), let beat = Int64(parts[4])
            else { throw TestRedis.Unavailable(description: "not an activity") }
            return Activity(
                workflowID: String(parts[0]), task: TaskSpec(id: String(parts[1]), executor: "queue:q"), attempt: attempt,
                lastHeartbeatDetails: String(parts[5]), startToCloseTimeout: .milliseconds(close),
                heartbeatTimeout: .milliseconds(beat))
        })

    /// Two brokers (owner and worker side) on the shared server, running while `body` runs.
    static func withBrokers<R: Sendable>(
        config: ActivityBrokerConfig = .defaults, configuration: RedisConfiguration? = nil,
        _ body: (_ owner: RedisActivityBroker, _ worker: RedisActivityBroker, _ client: RedisClient,
                           _ layout: RedisQueueLayout) async throws -> R
    ) async throws -> R {
        var settings = RedisActivityBroker.Settings()
        settings.layout = RedisQueueLayout(prefix: TestRedis.uniquePrefix("queue"))
        settings.fetchBlock = .milliseconds(200)
        let configuration = try configuration ?? TestRedis.configuration()
        let client = RedisClient(configuration: configuration)
        let fetch = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer {
            subscriber.shutdown()
            fetch.shutdown()
            client.shutdown()
        }
        let make = {
            RedisActivityBroker(
                config: config, settings: settings, client: client, fetchClient: fetch, subscriber: subscriber,
                codec: codec, clock: .live)
        }
        let owner = make()
        let worker = make()
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask { await owner.run(); return nil }
            group.addTask { await worker.run(); return nil }
            defer { group.cancelAll() }
            return try await body(owner, worker, client, settings.layout)
        }
    }

    static func activity(_ task: String, heartbeat: Duration = .seconds(30), details: String = "") -> Activity {
        Activity(
            workflowID: "wf-test", task: TaskSpec(id: task, executor: "queue:q"), attempt: 1,
            lastHeartbeatDetails: details, startToCloseTimeout: .seconds(30), heartbeatTimeout: heartbeat)
    }

    /// What an owner's heartbeat recorder heard.
    final class Heard: Sendable {
        let details = Mutex<[String]>([])
        let started = Mutex(false)
        var recorder: HeartbeatRecorder {
            HeartbeatRecorder({ detail in self.details.withLock { $0.append(detail) } },
                              started: { self.started.withLock { $0 = true } })
        }
    }

    @Test("an activity goes from one process's owner to another's worker and its result comes back")
    func roundTrip() async throws {
        try await Self.withBrokers { owner, worker, client, layout in
            let heard = Heard()
            async let output = owner.execute(Self.activity("a", details: "from before"), queue: "q", heartbeat: heard.recorder)
            let polled = try #require(try await worker.poll(queue: "q", workerID: "w1", identity: "test", wait: .seconds(5)))
            #expect(polled.activity.task.id == "a")
            #expect(polled.activity.lastHeartbeatDetails == "from before")
            #expect(polled.deadlineUnixMs > EngineClock.live.unixMilliseconds())
            #expect(await eventually { heard.started.withLock { $0 } })
            #expect(try await worker.recordHeartbeat(token: polled.token, details: "half way") == false)
            #expect(await eventually { heard.details.withLock { $0 } == ["half way"] })
            try await worker.complete(token: polled.token, outcome: .result("done"))
            #expect(try await output.output == "done")
            // The entry left the stream; a second completion is stale.
            #expect(try await client.command("XLEN", RedisArgument(layout.queueKey("q"))).integer == 0)
            await #expect(throws: EngineError.self) {
                try await worker.complete(token: polled.token, outcome: .result("again"))
            }
        }
    }

    @Test("a failure reaches the owner with its type and retryability")
    func failure() async throws {
        try await Self.withBrokers { owner, worker, _, _ in
            let output = Task { try await owner.execute(Self.activity("f"), queue: "q", heartbeat: Heard().recorder) }
            let polled = try #require(try await worker.poll(queue: "q", workerID: "w1", identity: "", wait: .seconds(5)))
            try await worker.complete(
                token: polled.token, outcome: .failure(ActivityFailure("bad input", type: "ValueError", retryable: false)))
            let error = await #expect(throws: ActivityFailure.self) { try await output.value }
            #expect(error == ActivityFailure("bad input", type: "ValueError", retryable: false))
        }
    }

    @Test("after the owner gives an attempt up, heartbeats answer cancel requested and a completion is NOT_FOUND")
    func cancelledAttempt() async throws {
        try await Self.withBrokers { owner, worker, _, _ in
            let running = Task { try await owner.execute(Self.activity("c"), queue: "q", heartbeat: Heard().recorder) }
            let polled = try #require(try await worker.poll(queue: "q", workerID: "w1", identity: "", wait: .seconds(5)))
            running.cancel()
            await #expect(throws: CancellationError.self) { try await running.value }
            #expect(try await worker.recordHeartbeat(token: polled.token, details: "") == true)
            let error = await #expect(throws: EngineError.self) {
                try await worker.complete(token: polled.token, outcome: .result("late"))
            }
            #expect(error?.code == .notFound)
            #expect(error?.message.contains("cancelled or timed out") == true)
        }
    }

    @Test("an unknown token is NOT_FOUND for heartbeats and completions")
    func unknownToken() async throws {
        try await Self.withBrokers { _, worker, _, _ in
            let token = TaskToken.fresh(workflowID: "wf-x", taskID: "t", attempt: 1)
            let heartbeat = await #expect(throws: EngineError.self) {
                _ = try await worker.recordHeartbeat(token: token, details: "")
            }
            #expect(heartbeat?.code == .notFound)
            let completion = await #expect(throws: EngineError.self) {
                try await worker.complete(token: token, outcome: .result(""))
            }
            #expect(completion?.code == .notFound)
        }
    }

    @Test("an attempt no worker takes fails with ScheduleToStartTimeout and leaves the stream")
    func scheduleToStart() async throws {
        var config = ActivityBrokerConfig()
        config.scheduleToStartTimeout = .milliseconds(300)
        try await Self.withBrokers(config: config) { owner, _, client, layout in
            let error = await #expect(throws: ActivityFailure.self) {
                try await owner.execute(Self.activity("late"), queue: "idle", heartbeat: Heard().recorder)
            }
            #expect(error?.type == "ScheduleToStartTimeout")
            #expect(error?.retryable == false)
            #expect(error?.message.contains("\"idle\"") == true)
            let length = try await client.command("XLEN", RedisArgument(layout.queueKey("idle")))
            #expect(length.integer == 0)
        }
    }

    @Test("a queue at its pending limit refuses the next attempt with QueueFull")
    func queueFull() async throws {
        var config = ActivityBrokerConfig()
        config.maxPendingPerQueue = 2
        // Bounds every wait, so that a regression fails the test instead of hanging it.
        config.scheduleToStartTimeout = .seconds(10)
        try await Self.withBrokers(config: config) { owner, _, client, layout in
            let waiting = (0..<2).map { index in
                Task { try await owner.execute(Self.activity("p\(index)"), queue: "full", heartbeat: Heard().recorder) }
            }
            defer { waiting.forEach { $0.cancel() } }
            #expect(await eventually {
                (try? await client.command("XLEN", RedisArgument(layout.queueKey("full"))).integer) == 2
            })
            let error = await #expect(throws: ActivityFailure.self) {
                try await owner.execute(Self.activity("over"), queue: "full", heartbeat: Heard().recorder)
            }
            #expect(error?.type == "QueueFull")
            #expect(error?.message.contains("holds 2 pending") == true)
        }
    }

    @Test("a poll with nothing to take returns nil after its wait")
    func emptyPoll() async throws {
        try await Self.withBrokers { _, worker, _, _ in
            let polled = try await worker.poll(queue: "empty", workerID: "w", identity: "", wait: .milliseconds(300))
            #expect(polled == nil)
        }
    }

    @Test("an unreadable entry in a queue's stream is dropped and the next activity still arrives")
    func unreadableEntry() async throws {
        try await Self.withBrokers { owner, worker, client, layout in
            _ = try await client.command("XADD", RedisArgument(layout.queueKey("mixed")), "*", "token", "junk",
                                         "activity", "junk")
            async let output = owner.execute(Self.activity("real"), queue: "mixed", heartbeat: Heard().recorder)
            let polled = try #require(try await worker.poll(queue: "mixed", workerID: "w", identity: "", wait: .seconds(5)))
            #expect(polled.activity.task.id == "real")
            try await worker.complete(token: polled.token, outcome: .result("ok"))
            #expect(try await output.output == "ok")
            #expect(try await client.command("XLEN", RedisArgument(layout.queueKey("mixed"))).integer == 0)
        }
    }

    @Test("heartbeat details over the limit are INVALID_ARGUMENT")
    func detailsLimit() async throws {
        var config = ActivityBrokerConfig()
        config.maxHeartbeatDetailsBytes = 4
        try await Self.withBrokers(config: config) { _, worker, _, _ in
            let error = await #expect(throws: EngineError.self) {
                _ = try await worker.recordHeartbeat(
                    token: TaskToken.fresh(workflowID: "w", taskID: "t", attempt: 1), details: "12345")
            }
            #expect(error?.code == .invalidArgument)
        }
    }
}

/// ``RedisActivityBroker`` across a Redis outage, on a redis-server of the test's own.
@Suite("RedisActivityBroker outage", .enabled(if: TestRedis.ownServerTestsEnabled, TestRedis.ownServerDisabled))
struct RedisActivityBrokerOutageTests {
    @Test("an attempt queued while Redis is down waits for it instead of failing, then reaches a worker once")
    func enqueueWaitsForRedis() async throws {
        let server = try await RedisServerProcess()
        let configuration = server.configuration(commandTimeout: .seconds(2), poolSize: 2)
        try await RedisActivityBrokerTests.withBrokers(configuration: configuration) { owner, worker, client, layout in
            await server.stop()
            let output = Task {
                try await owner.execute(
                    RedisActivityBrokerTests.activity("during-outage"), queue: "q",
                    heartbeat: RedisActivityBrokerTests.Heard().recorder)
            }
            // Still waiting (neither failed nor queued) while Redis is away.
            try await Task.sleep(for: .milliseconds(500))
            try await server.start()
            let polled = try #require(
                try await worker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(15)))
            #expect(polled.activity.task.id == "during-outage")
            #expect(await eventually { (try? await worker.recordHeartbeat(token: polled.token, details: "")) == false })
            try await worker.complete(token: polled.token, outcome: .result("after the outage"))
            #expect(try await output.value.output == "after the outage")
            let length = try await client.command("XLEN", RedisArgument(layout.queueKey("q")))
            #expect(length.integer == 0, "queued once, taken once")
        }
    }
}
