import Synchronization
import Testing
import WeftTestSupport

@testable import WeftEngine

@Suite("In-memory event log")
struct InMemoryEventLogTests {
    private func makeLog(
        retention: Duration = .seconds(3600),
        maxFinishedWorkflows: Int = 100,
        watcherBufferLimit: Int = 10_000,
        clock: any Clock<Duration> = ContinuousClock()
    ) -> InMemoryEventLog {
        InMemoryEventLog(
            retention: retention,
            maxFinishedWorkflows: maxFinishedWorkflows,
            watcherBufferLimit: watcherBufferLimit,
            clock: clock
        )
    }

    @Test("appends are numbered 1, 2, 3 without gaps")
    func sequencesWithoutGaps() throws {
        let log = makeLog()
        try log.create(workflowID: "w")
        #expect(log.lastSequence(workflowID: "w") == 0)
        let events = try (1...3).map { try log.appendHeartbeat("w", $0) }
        #expect(events.map(\.sequence) == [1, 2, 3])
        #expect(events.allSatisfy { $0.workflowID == "w" })
        #expect(log.lastSequence(workflowID: "w") == 3)
    }

    @Test("a watch replays the stored events after the given sequence, from 0 and from k")
    func replayFromZeroAndFromK() async throws {
        let log = makeLog()
        try log.create(workflowID: "w")
        for i in 1...5 { try log.appendHeartbeat("w", i) }
        let fromZero = try log.watch(workflowID: "w", afterSequence: 0)
        let fromThree = try log.watch(workflowID: "w", afterSequence: 3)
        #expect(try await collect(fromZero, count: 5).map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(try await collect(fromThree, count: 2).map(\.sequence) == [4, 5])
    }

    @Test("a watch follows live events after its replay and ends after the terminal event")
    func liveFollowAfterReplay() async throws {
        let log = makeLog()
        try log.create(workflowID: "w")
        for i in 1...2 { try log.appendHeartbeat("w", i) }
        let stream = try log.watch(workflowID: "w", afterSequence: 0)
        let watcher = Task { try await collect(stream) }
        for i in 3...4 { try log.appendHeartbeat("w", i) }
        try log.appendTerminal("w")
        let events = try await withTimeout { try await watcher.value }
        #expect(events.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(events.last?.payload.isTerminal == true)
        #expect(log.watcherCount(workflowID: "w") == 0)
    }

    @Test("a finished workflow replays and ends; a watch at or past its end ends at once")
    func finishedWorkflowReplaysAndEnds() async throws {
        let log = makeLog()
        try log.create(workflowID: "w")
        for i in 1...3 { try log.appendHeartbeat("w", i) }
        try log.appendTerminal("w")
        #expect(try await collect(log.watch(workflowID: "w", afterSequence: 0)).map(\.sequence) == [1, 2, 3, 4])
        #expect(try await collect(log.watch(workflowID: "w", afterSequence: 2)).map(\.sequence) == [3, 4])
        #expect(try await collect(log.watch(workflowID: "w", afterSequence: 4)).isEmpty)
        #expect(try await collect(log.watch(workflowID: "w", afterSequence: 99)).isEmpty)
    }

    @Test("a watch past the end of a running workflow waits for the later sequences")
    func watchPastTheEndOfARunningWorkflow() async throws {
        let log = makeLog()
        try log.create(workflowID: "w")
        try log.appendHeartbeat("w", 1)
        let ahead = try log.watch(workflowID: "w", afterSequence: 3)
        let beyondTheEnd = try log.watch(workflowID: "w", afterSequence: 50)
        let aheadEvents = Task { try await collect(ahead) }
        let beyondEvents = Task { try await collect(beyondTheEnd) }
        for i in 2...5 { try log.appendHeartbeat("w", i) }
        try log.appendTerminal("w")
        #expect(try await withTimeout { try await aheadEvents.value }.map(\.sequence) == [4, 5, 6])
        #expect(try await withTimeout { try await beyondEvents.value }.isEmpty)
    }

    @Test("an unknown workflow is NOT_FOUND; a second create is INTERNAL")
    func unknownWorkflow() throws {
        let log = makeLog()
        let watchError = #expect(throws: EngineError.self) { try log.watch(workflowID: "nope", afterSequence: 0) }
        #expect(watchError?.code == .notFound)
        #expect(watchError?.message == "workflow \"nope\" not found")
        let appendError = #expect(throws: EngineError.self) { try log.appendHeartbeat("nope", 1) }
        #expect(appendError?.code == .notFound)
        #expect(log.lastSequence(workflowID: "nope") == nil)

        try log.create(workflowID: "w")
        let createError = #expect(throws: EngineError.self) { try log.create(workflowID: "w") }
        #expect(createError?.code == .internal)
    }

    @Test("appending after the terminal event is FAILED_PRECONDITION and changes nothing")
    func appendAfterTerminal() throws {
        let log = makeLog()
        try log.create(workflowID: "w")
        try log.appendHeartbeat("w", 1)
        try log.appendTerminal("w")
        let error = #expect(throws: EngineError.self) { try log.appendHeartbeat("w", 3) }
        #expect(error?.code == .failedPrecondition)
        let terminalError = #expect(throws: EngineError.self) { try log.appendTerminal("w") }
        #expect(terminalError?.code == .failedPrecondition)
        #expect(log.lastSequence(workflowID: "w") == 2)
    }

    @Test("50 watchers receive identical complete streams while several tasks append")
    func concurrentWatchersAndAppenders() async throws {
        let log = makeLog(watcherBufferLimit: 1_000_000)
        try log.create(workflowID: "w")
        let appenders = 4
        let perAppender = 250
        let streams = try (0..<50).map { _ in try log.watch(workflowID: "w", afterSequence: 0) }

        let results = try await withTimeout(.seconds(60)) {
            try await withThrowingTaskGroup(of: [WorkflowEvent]?.self) { group in
                for stream in streams {
                    group.addTask { try await collect(stream) }
                }
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { appending in
                        for appender in 0..<appenders {
                            appending.addTask {
                                for i in 0..<perAppender {
                                    try log.appendHeartbeat("w", appender * perAppender + i)
                                    if i % 8 == 0 { await Task.yield() }
                                }
                            }
                        }
                        try await appending.waitForAll()
                    }
                    try log.appendTerminal("w")
                    return nil
                }
                var results: [[WorkflowEvent]] = []
                for try await case let events? in group {
                    results.append(events)
                }
                return results
            }
        }

        let total = appenders * perAppender + 1
        #expect(results.count == 50)
        let first = try #require(results.first)
        #expect(first.map(\.sequence) == Array(1...UInt64(total)))
        let details = Set(first.compactMap(\.heartbeatDetails))
        #expect(details.count == appenders * perAppender, "every append appears exactly once")
        for events in results {
            #expect(events == first)
        }
    }

    @Test("a watcher that stops reading is ended with RESOURCE_EXHAUSTED; others and the appender go on")
    func slowWatcherIsEnded() async throws {
        let log = makeLog(watcherBufferLimit: 10)
        try log.create(workflowID: "w")
        for i in 1...3 { try log.appendHeartbeat("w", i) }
        let fastSeen = Mutex<UInt64>(0)
        let fast = try log.watch(workflowID: "w", afterSequence: 0)
        let fastEvents = Task {
            var events: [WorkflowEvent] = []
            for try await event in fast {
                events.append(event)
                fastSeen.withLock { $0 = event.sequence }
            }
            return events
        }

        try await withTimeout {
            var slow = try log.watch(workflowID: "w", afterSequence: 0).makeAsyncIterator()
            for expected in UInt64(1)...3 {
                #expect(try await slow.next()?.sequence == expected)
            }
            // The slow watcher now reads nothing while 40 more events and the terminal one are appended. Each
            // append returns at once; the test only lets the fast watcher catch up between bursts of 5 so that it
            // stays within its own limit on a busy machine.
            for i in 4...43 {
                try log.appendHeartbeat("w", i)
                if i.isMultiple(of: 5) {
                    while fastSeen.withLock({ $0 }) < UInt64(i) { try await Task.sleep(for: .milliseconds(1)) }
                }
            }
            try log.appendTerminal("w")

            do {
                let event = try await slow.next()
                Issue.record("expected RESOURCE_EXHAUSTED, got \(String(describing: event))")
            } catch let error as EngineError {
                #expect(error.code == .resourceExhausted)
                #expect(error.message == "watcher fell more than 10 events behind; resume with after_sequence = 3")
            }
            #expect(try await slow.next() == nil)
        }

        let expected = Array(UInt64(1)...44)
        #expect(try await withTimeout { try await fastEvents.value }.map(\.sequence) == expected)
        let resumed = try await withTimeout { try await collect(log.watch(workflowID: "w", afterSequence: 3)) }
        #expect(resumed.map(\.sequence) == Array(expected.dropFirst(3)))
        #expect(log.watcherCount(workflowID: "w") == 0)
    }

    @Test("replay does not count toward the limit, and exactly the limit of unread live events is allowed")
    func limitCountsLiveEventsOnly() async throws {
        let log = makeLog(watcherBufferLimit: 5)
        try log.create(workflowID: "w")
        for i in 1...50 { try log.appendHeartbeat("w", i) }
        let replaying = try log.watch(workflowID: "w", afterSequence: 0)
        let idle = try log.watch(workflowID: "w", afterSequence: 50)
        for i in 51...55 { try log.appendHeartbeat("w", i) }
        let idleEvents = try await withTimeout { try await collect(idle, count: 5) }
        let replayed = try await withTimeout { try await collect(replaying, count: 55) }
        #expect(idleEvents.map(\.sequence) == Array(51...55))
        #expect(replayed.map(\.sequence) == Array(1...55))
        try log.appendTerminal("w")
        #expect(try await withTimeout { try await collect(idle) }.map(\.sequence) == [56])
        #expect(try await withTimeout { try await collect(replaying) }.map(\.sequence) == [56])
    }

    @Test("a finished workflow is forgotten after the retention time; a running one never is")
    func retentionByTime() throws {
        let clock = EventLogTestClock()
        let log = makeLog(retention: .seconds(60), clock: clock)
        try log.create(workflowID: "done")
        try log.create(workflowID: "running")
        try log.appendHeartbeat("done", 1)
        try log.appendTerminal("done")
        try log.appendHeartbeat("running", 1)

        clock.advance(by: .seconds(59))
        #expect(log.lastSequence(workflowID: "done") == 2)
        clock.advance(by: .seconds(1))
        #expect(log.lastSequence(workflowID: "done") == nil)
        let error = #expect(throws: EngineError.self) { try log.watch(workflowID: "done", afterSequence: 0) }
        #expect(error?.code == .notFound)

        clock.advance(by: .seconds(24 * 3600))
        #expect(log.lastSequence(workflowID: "running") == 1)
        try log.appendTerminal("running")
        clock.advance(by: .seconds(59))
        #expect(log.lastSequence(workflowID: "running") == 2)
        clock.advance(by: .seconds(1))
        #expect(log.lastSequence(workflowID: "running") == nil)
        // An evicted id may start a new history.
        try log.create(workflowID: "done")
        #expect(log.lastSequence(workflowID: "done") == 0)
    }

    @Test("beyond the count limit the oldest finished workflow is forgotten first; running ones are kept")
    func retentionByCount() throws {
        let log = makeLog(maxFinishedWorkflows: 2)
        try log.create(workflowID: "running")
        try log.appendHeartbeat("running", 1)
        for id in ["a", "b", "c", "d"] {
            try log.create(workflowID: id)
        }
        for id in ["b", "a", "d"] {
            try log.appendTerminal(id)
        }
        #expect(log.lastSequence(workflowID: "b") == nil, "finished first, so evicted first")
        #expect(log.lastSequence(workflowID: "a") == 1)
        #expect(log.lastSequence(workflowID: "d") == 1)
        #expect(log.lastSequence(workflowID: "c") == 0, "still running")
        try log.appendTerminal("c")
        #expect(log.lastSequence(workflowID: "a") == nil)
        #expect(log.lastSequence(workflowID: "d") == 1)
        #expect(log.lastSequence(workflowID: "c") == 1)
        #expect(log.lastSequence(workflowID: "running") == 1)
    }

    @Test("evicting a watched workflow does not break the open stream")
    func evictionKeepsOpenStreams() async throws {
        let log = makeLog(maxFinishedWorkflows: 1)
        try log.create(workflowID: "w")
        for i in 1...3 { try log.appendHeartbeat("w", i) }
        let stream = try log.watch(workflowID: "w", afterSequence: 0)
        try log.appendTerminal("w")
        try log.create(workflowID: "x")
        try log.appendTerminal("x")
        #expect(log.lastSequence(workflowID: "w") == nil)
        #expect(try await withTimeout { try await collect(stream) }.map(\.sequence) == [1, 2, 3, 4])
    }

    @Test("cancelling the consumer ends its stream, and a dropped stream unregisters its watcher")
    func cancellationAndDrop() async throws {
        let log = makeLog()
        try log.create(workflowID: "w")
        let stream = try log.watch(workflowID: "w", afterSequence: 0)
        let consumer = Task { try await collect(stream) }
        // Give the consumer time to park; cancelling before it parks must end the stream just the same.
        try await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        #expect(try await withTimeout { try await consumer.value }.isEmpty)
        #expect(log.watcherCount(workflowID: "w") == 0)

        do {
            let dropped = try log.watch(workflowID: "w", afterSequence: 0)
            #expect(log.watcherCount(workflowID: "w") == 1)
            _ = dropped
        }
        #expect(log.watcherCount(workflowID: "w") == 0)
        try log.appendHeartbeat("w", 1)
    }

    @Test("watchers subscribing at random points during 1000 appends see no gap")
    func subscriptionsRacingAppends() async throws {
        let log = makeLog(watcherBufferLimit: 1_000_000)
        try log.create(workflowID: "w")
        let appends = 1000

        let results = try await withTimeout(.seconds(60)) {
            try await withThrowingTaskGroup(of: (UInt64, [WorkflowEvent])?.self) { group in
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { appending in
                        for appender in 0..<2 {
                            appending.addTask {
                                for i in 0..<appends / 2 {
                                    try log.appendHeartbeat("w", appender * appends + i)
                                    await Task.yield()
                                }
                            }
                        }
                        try await appending.waitForAll()
                    }
                    try log.appendTerminal("w")
                    return nil
                }
                for subscriber in 0..<20 {
                    group.addTask {
                        // Subscribe while the appends run, at a random point of them.
                        let point = UInt64.random(in: 0..<UInt64(appends))
                        var last = try #require(log.lastSequence(workflowID: "w"))
                        while last < point {
                            await Task.yield()
                            last = try #require(log.lastSequence(workflowID: "w"))
                        }
                        // Half subscribe exactly at the current end (the tightest race), half somewhere before it.
                        let after = subscriber.isMultiple(of: 2) ? last : UInt64.random(in: 0...last)
                        return (after, try await collect(log.watch(workflowID: "w", afterSequence: after)))
                    }
                }
                var results: [(UInt64, [WorkflowEvent])] = []
                for try await case let result? in group {
                    results.append(result)
                }
                return results
            }
        }

        #expect(results.count == 20)
        let end = UInt64(appends + 1)
        for (after, events) in results {
            let expected = after < end ? Array((after + 1)...end) : []
            #expect(events.map(\.sequence) == expected, "watcher after \(after)")
        }
    }
}

// MARK: - Helpers

extension InMemoryEventLog {
    @discardableResult
    fileprivate func appendHeartbeat(_ workflowID: String, _ index: Int) throws -> WorkflowEvent {
        try append(
            workflowID: workflowID,
            timeUnixMs: UInt64(index),
            progress: Progress(),
            payload: .taskHeartbeat(taskID: "t", attempt: 1, details: "\(index)")
        )
    }

    fileprivate func appendTerminal(_ workflowID: String) throws {
        try append(
            workflowID: workflowID,
            timeUnixMs: 0,
            progress: Progress(),
            payload: .workflowCompleted(duration: .zero, taskTime: .zero, cache: CacheSummary())
        )
    }
}

extension WorkflowEvent {
    fileprivate var heartbeatDetails: String? {
        if case .taskHeartbeat(_, _, let details) = payload { details } else { nil }
    }
}

/// Reads `stream` to its end, or until `count` events.
private func collect(
    _ stream: AsyncThrowingStream<WorkflowEvent, any Error>,
    count: Int = .max
) async throws -> [WorkflowEvent] {
    var events: [WorkflowEvent] = []
    guard count > 0 else { return events }
    for try await event in stream {
        events.append(event)
        if events.count == count { break }
    }
    return events
}

/// A clock that moves only when told to.
private final class EventLogTestClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Duration.zero)

    var now: Instant { Instant(offset: current.withLock { $0 }) }
    var minimumResolution: Duration { .zero }

    func advance(by duration: Duration) {
        current.withLock { $0 += duration }
    }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        while now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
