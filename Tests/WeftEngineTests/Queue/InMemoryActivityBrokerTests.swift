import Synchronization
import Testing
import WeftEngine
import WeftTestSupport

/// The in-memory broker with real tasks on the real clock: hand-off to waiting polls, FIFO order, exactly-once
/// delivery under concurrency, cancellation, stale tokens, schedule-to-start and every limit.
@Suite("In-memory activity broker")
struct InMemoryActivityBrokerTests {
    static func activity(_ id: String, attempt: Int = 1, timeouts: ActivityTimeouts = ActivityTimeouts()) -> Activity {
        Activity(
            workflowID: "wf-1", task: TaskSpec(id: id, executor: "queue:q", input: "in-\(id)", timeouts: timeouts),
            attempt: attempt, startToCloseTimeout: .seconds(30), heartbeatTimeout: .seconds(10))
    }

    static func broker(_ configure: (inout ActivityBrokerConfig) -> Void = { _ in }, observer: (any ActivityBrokerObserver)? = nil)
        -> InMemoryActivityBroker
    {
        var config = ActivityBrokerConfig()
        configure(&config)
        return InMemoryActivityBroker(config: config, clock: .live, observer: observer)
    }

    static func stats(_ broker: InMemoryActivityBroker, _ queue: String = "q") -> QueueStats {
        broker.queueStats().first { $0.queue == queue } ?? QueueStats(queue: queue, pending: 0, waitingPollers: 0, running: 0)
    }

    static func expectEngineError(
        _ code: EngineError.Code, containing needle: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected \(code), it succeeded", sourceLocation: sourceLocation)
        } catch let error as EngineError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(needle), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected EngineError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("A waiting poll is handed a new activity at once, and the completion reaches the owner")
    func handOff() async throws {
        let broker = Self.broker()
        let started = Locked(false)
        try await withTimeout(.seconds(30)) {
            async let polled = broker.poll(queue: "q", workerID: "w1", identity: "test", wait: .seconds(30))
            try await waitUntil("the poll waits", within: .seconds(30)) { Self.stats(broker).waitingPollers == 1 }
            async let output = broker.execute(
                Self.activity("a"), queue: "q",
                heartbeat: HeartbeatRecorder({ _ in }, started: { started.withLock { $0 = true } }))
            let taken = try #require(try await polled)
            #expect(taken.activity.task.id == "a")
            #expect(taken.activity.task.input == "in-a")
            #expect(taken.token.workflowID == "wf-1" && taken.token.taskID == "a" && taken.token.attempt == 1)
            #expect(started.withLock { $0 }, "pickup starts the attempt's clocks")
            #expect(Self.stats(broker) == QueueStats(queue: "q", pending: 0, waitingPollers: 0, running: 1))
            try await broker.complete(token: taken.token, outcome: .result("done"))
            #expect(try await output.output == "done")
        }
        #expect(broker.queueStats().isEmpty, "an idle queue is dropped")
    }

    @Test("Pending activities are polled in FIFO order")
    func fifo() async throws {
        let broker = Self.broker()
        try await withTimeout(.seconds(30)) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ["a", "b", "c"] {
                    group.addTask { _ = try await broker.execute(Self.activity(id), queue: "q", heartbeat: HeartbeatRecorder { _ in }) }
                    try await waitUntil("\(id) is queued", within: .seconds(30)) { Self.stats(broker).pending == ["a", "b", "c"].firstIndex(of: id)! + 1 }
                }
                var order: [String] = []
                for _ in 0..<3 {
                    let taken = try #require(try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(1)))
                    order.append(taken.activity.task.id)
                    try await broker.complete(token: taken.token, outcome: .result(taken.activity.task.id))
                }
                #expect(order == ["a", "b", "c"])
                try await group.waitForAll()
            }
        }
    }

    @Test("A poll with nothing to take answers nil after its wait and leaves no poller behind")
    func emptyPoll() async throws {
        let broker = Self.broker()
        let clock = ContinuousClock()
        let start = clock.now
        let polled = try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .milliseconds(50))
        #expect(polled == nil)
        #expect(clock.now - start >= .milliseconds(50))
        #expect(broker.queueStats().isEmpty)
    }

    @Test("A cancelled poll ends at once and leaves no poller behind")
    func cancelledPoll() async throws {
        let broker = Self.broker()
        let poll = Task { try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(60)) }
        try await waitUntil("the poll waits", within: .seconds(30)) { Self.stats(broker).waitingPollers == 1 }
        poll.cancel()
        let result = try await withTimeout(.seconds(30)) { try await poll.value == nil }
        #expect(result)
        #expect(broker.queueStats().isEmpty)
    }

    @Test("Shutdown ends waiting polls with nothing and refuses later polls with UNAVAILABLE")
    func shutdown() async throws {
        let broker = Self.broker()
        let poll = Task { try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(60)) }
        try await waitUntil("the poll waits", within: .seconds(30)) { Self.stats(broker).waitingPollers == 1 }
        broker.shutdown()
        let ended = try await withTimeout(.seconds(30)) { try await poll.value == nil }
        #expect(ended)
        #expect(broker.queueStats().isEmpty)
        await Self.expectEngineError(.unavailable, containing: "shutting down") {
            _ = try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(60))
        }
    }

    @Test("400 activities through 8 concurrent pollers: each executed exactly once")
    func exactlyOnce() async throws {
        let broker = Self.broker()
        let executed = Locked<[String: Int]>([:])
        let count = 400
        try await withTimeout(.seconds(30)) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while executed.withLock({ $0.values.reduce(0, +) }) < count {
                            guard let taken = try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .milliseconds(20))
                            else { continue }
                            executed.withLock { $0[taken.activity.task.id, default: 0] += 1 }
                            try await broker.complete(token: taken.token, outcome: .result("r-\(taken.activity.task.id)"))
                        }
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { owners in
                    for index in 0..<count {
                        owners.addTask {
                            let output = try await broker.execute(
                                Self.activity("t\(index)"), queue: "q", heartbeat: HeartbeatRecorder { _ in })
                            #expect(output.output == "r-t\(index)")
                        }
                    }
                    try await owners.waitForAll()
                }
                try await group.waitForAll()
            }
        }
        #expect(executed.withLock { $0.count } == count)
        #expect(executed.withLock { $0.values.allSatisfy { $0 == 1 } })
        #expect(broker.queueStats().isEmpty)
    }

    @Test("Cancelling the owner: a pending activity is withdrawn; a running one's token asks for cancellation, then is refused")
    func ownerCancellation() async throws {
        let broker = Self.broker()
        let pending = Task { try await broker.execute(Self.activity("p"), queue: "q", heartbeat: HeartbeatRecorder { _ in }) }
        try await waitUntil("queued", within: .seconds(30)) { Self.stats(broker).pending == 1 }
        pending.cancel()
        await #expect(throws: CancellationError.self) { try await pending.value }
        #expect(broker.queueStats().isEmpty)

        let beats = Locked<[String]>([])
        let running = Task {
            try await broker.execute(
                Self.activity("r"), queue: "q", heartbeat: HeartbeatRecorder { details in beats.withLock { $0.append(details) } })
        }
        let taken = try #require(try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(10)))
        #expect(try await broker.recordHeartbeat(token: taken.token, details: "half") == false)
        #expect(beats.withLock { $0 } == ["half"])
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(try await broker.recordHeartbeat(token: taken.token, details: "late") == true, "cancel_requested")
        #expect(beats.withLock { $0 } == ["half"], "a cancelled attempt's heartbeats are not recorded")
        await Self.expectEngineError(.notFound, containing: "cancelled or timed out") {
            try await broker.complete(token: taken.token, outcome: .result("late"))
        }
        #expect(broker.queueStats().isEmpty)
    }

    @Test("A completed token is stale: a second completion and a heartbeat get NOT_FOUND; so does an unknown token")
    func staleTokens() async throws {
        let broker = Self.broker()
        let owner = Task { try await broker.execute(Self.activity("a"), queue: "q", heartbeat: HeartbeatRecorder { _ in }) }
        let taken = try #require(try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(10)))
        try await broker.complete(token: taken.token, outcome: .failure(ActivityFailure("boom", type: "Oops", retryable: false)))
        await #expect(throws: ActivityFailure("boom", type: "Oops", retryable: false)) { try await owner.value }
        await Self.expectEngineError(.notFound, containing: "stale") {
            try await broker.complete(token: taken.token, outcome: .result("again"))
        }
        await Self.expectEngineError(.notFound, containing: "stale") {
            _ = try await broker.recordHeartbeat(token: taken.token, details: "")
        }
        let unknown = TaskToken.fresh(workflowID: "wf-1", taskID: "a", attempt: 1)
        await Self.expectEngineError(.notFound, containing: "task \"a\" attempt 1 of workflow wf-1") {
            try await broker.complete(token: unknown, outcome: .result("x"))
        }
    }

    @Test("Schedule-to-start: no worker in time fails the attempt for good, naming the queue; a task's own value wins")
    func scheduleToStart() async throws {
        let broker = Self.broker { $0.scheduleToStartTimeout = .milliseconds(50) }
        do {
            _ = try await withTimeout(.seconds(30)) {
                try await broker.execute(Self.activity("a"), queue: "gpu", heartbeat: HeartbeatRecorder { _ in })
            }
            Issue.record("expected a ScheduleToStartTimeout")
        } catch let failure as ActivityFailure {
            #expect(failure.type == "ScheduleToStartTimeout")
            #expect(!failure.retryable)
            #expect(failure.message.contains("queue \"gpu\""))
            #expect(failure.message.contains("50 ms"))
        }
        #expect(broker.queueStats().isEmpty)

        // The task's own 5 s wins over the broker's 50 ms: a worker arriving after 200 ms still gets it.
        let patient = Self.activity("b", timeouts: ActivityTimeouts(scheduleToStart: .seconds(5)))
        async let output = broker.execute(patient, queue: "gpu", heartbeat: HeartbeatRecorder { _ in })
        try await Task.sleep(for: .milliseconds(200))
        let taken = try #require(try await broker.poll(queue: "gpu", workerID: "w", identity: "", wait: .seconds(5)))
        try await broker.complete(token: taken.token, outcome: .result("in time"))
        #expect(try await output.output == "in time")
    }

    @Test("Limits: pending per queue, heartbeat details, queue names, number of queues")
    func limits() async throws {
        let broker = Self.broker {
            $0.maxPendingPerQueue = 2
            $0.maxHeartbeatDetailsBytes = 8
            $0.maxQueueNameLength = 10
            $0.maxQueues = 2
        }
        let owners = (0..<2).map { index in
            Task { try await broker.execute(Self.activity("t\(index)"), queue: "q", heartbeat: HeartbeatRecorder { _ in }) }
        }
        try await waitUntil("two queued", within: .seconds(30)) { Self.stats(broker).pending == 2 }
        do {
            _ = try await broker.execute(Self.activity("t2"), queue: "q", heartbeat: HeartbeatRecorder { _ in })
            Issue.record("expected QueueFull")
        } catch let failure as ActivityFailure {
            #expect(failure.type == "QueueFull" && failure.retryable)
            #expect(failure.message.contains("queue \"q\" holds 2 pending activities"))
        }
        let taken = try #require(try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(1)))
        await Self.expectEngineError(.invalidArgument, containing: "details is 9 bytes, more than the limit of 8") {
            _ = try await broker.recordHeartbeat(token: taken.token, details: "123456789")
        }
        #expect(try await broker.recordHeartbeat(token: taken.token, details: "12345678") == false)
        await Self.expectEngineError(.invalidArgument, containing: "queue name is 11 bytes") {
            _ = try await broker.poll(queue: "abcdefghijk", workerID: "w", identity: "", wait: .zero)
        }
        await Self.expectEngineError(.invalidArgument, containing: "letters, digits") {
            _ = try await broker.poll(queue: "a b", workerID: "w", identity: "", wait: .zero)
        }
        let other = Task { try await broker.poll(queue: "other", workerID: "w", identity: "", wait: .seconds(30)) }
        try await waitUntil("a second queue is open", within: .seconds(30)) { broker.queueStats().count == 2 }
        await Self.expectEngineError(.resourceExhausted, containing: "2 queues are in use") {
            _ = try await broker.poll(queue: "third", workerID: "w", identity: "", wait: .zero)
        }
        other.cancel()
        _ = try await other.value
        for owner in owners { owner.cancel() }
        for owner in owners { _ = try? await owner.value }
    }

    @Test("The observer hears every change of a queue's counts, in order")
    func observer() async throws {
        final class Recorder: ActivityBrokerObserver {
            let seen = Mutex<[QueueStats]>([])
            func queueChanged(_ stats: QueueStats) { seen.withLock { $0.append(stats) } }
        }
        let recorder = Recorder()
        let broker = Self.broker(observer: recorder)
        async let output = broker.execute(Self.activity("a"), queue: "q", heartbeat: HeartbeatRecorder { _ in })
        try await waitUntil("queued", within: .seconds(30)) { Self.stats(broker).pending == 1 }
        let taken = try #require(try await broker.poll(queue: "q", workerID: "w", identity: "", wait: .seconds(1)))
        try await broker.complete(token: taken.token, outcome: .result("ok"))
        _ = try await output
        let counts = recorder.seen.withLock { $0.map { [$0.pending, $0.waitingPollers, $0.running] } }
        #expect(counts == [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    }

    @Test("Task tokens round-trip; malformed ones are INVALID_ARGUMENT naming task_token")
    func tokens() throws {
        let token = TaskToken.fresh(workflowID: "wf-é", taskID: "build", attempt: 3)
        #expect(try TaskToken(bytes: token.bytes) == token)
        #expect(token.nonce.count == 16)
        #expect(TaskToken.fresh(workflowID: "wf-é", taskID: "build", attempt: 3) != token, "fresh nonces differ")
        for (bytes, why) in [([UInt8](), "empty"), ([9, 0, 0], "version 9"), (Array(token.bytes.dropLast()), "truncated"),
                             (token.bytes + [0], "trailing")] {
            #expect {
                _ = try TaskToken(bytes: bytes)
            } throws: { error in
                guard let error = error as? EngineError else { return false }
                return error.code == .invalidArgument && error.message.contains("task_token") && error.message.contains(why)
            }
        }
    }
}
