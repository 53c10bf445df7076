import Synchronization
import Testing
import WeftCLI
import WeftMessages
import WeftRPC

/// A clock whose sleeps return at once, so backoff costs the tests no time.
private struct ImmediateClock: Clock {
    typealias Instant = ContinuousClock.Instant
    var now: Instant { .now }
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws { try Task.checkCancellation() }
}

/// One scripted stream: the events it yields, then how it ends (nil: OK).
private struct Script {
    var sequences: [UInt64]
    var ending: RPCError?
    var final = false
}

@Suite("Resuming a broken watch stream")
struct WorkflowWatcherTests {
    private static func event(_ sequence: UInt64, final: Bool) -> Weft_V1_WorkflowEvent {
        Weft_V1_WorkflowEvent(
            sequence: sequence, workflowID: "wf",
            payload: final
                ? .workflowCompleted(Weft_V1_WorkflowCompleted(durationMs: 10))
                : .taskStarted(Weft_V1_TaskStarted(taskID: "t\(sequence)", attempt: 1)))
    }

    private static func stream(_ script: Script) -> ResponseStream<Weft_V1_WorkflowEvent> {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        for (index, sequence) in script.sequences.enumerated() {
            let final = script.final && index == script.sequences.count - 1
            continuation.yield(event(sequence, final: final).wireBytes())
        }
        continuation.finish(throwing: script.ending)
        return ResponseStream(stream)
    }

    /// Runs a watcher over scripted streams; returns what it saw.
    private func watch(
        _ scripts: [Script], policy: WorkflowWatcher.ResumePolicy = .defaults, after: UInt64 = 0
    )
        async -> (
            requests: [(UInt64, Bool)], events: [UInt64], interruptions: [Duration], result: Result<UInt64, any Error>
        )
    {
        var remaining = scripts
        var requests: [(UInt64, Bool)] = []
        var events: [UInt64] = []
        var interruptions: [Duration] = []
        let watcher = WorkflowWatcher(workflowID: "wf", policy: policy)
        do {
            let final = try await watcher.run(
                afterSequence: after, clock: ImmediateClock(),
                open: { request, reconnect in
                    #expect(request.workflowID == "wf")
                    requests.append((request.afterSequence, reconnect))
                    guard !remaining.isEmpty else { throw RPCError(code: .unavailable, message: "no more scripts") }
                    return Self.stream(remaining.removeFirst())
                },
                onEvent: { events.append($0.sequence) },
                onInterruption: { interruptions.append($0.backoff) })
            return (requests, events, interruptions, .success(final.sequence))
        } catch {
            return (requests, events, interruptions, .failure(error))
        }
    }

    @Test("after UNAVAILABLE and a RESOURCE_EXHAUSTED 'fell behind', it resumes after the last event seen")
    func resumes() async throws {
        let run = await watch([
            Script(sequences: [1, 2, 3], ending: RPCError(code: .unavailable, message: "connection lost")),
            Script(sequences: [4, 5], ending: RPCError(code: .resourceExhausted, message: "watcher fell behind")),
            Script(sequences: [6, 7], ending: nil, final: true),
        ])
        #expect(run.requests.map(\.0) == [0, 3, 5])
        #expect(run.requests.map(\.1) == [false, true, true])
        #expect(run.events == [1, 2, 3, 4, 5, 6, 7])
        #expect(try run.result.get() == 7)
        #expect(run.interruptions == [.milliseconds(250), .milliseconds(250)])
    }

    @Test("events already seen are not delivered twice")
    func duplicates() async throws {
        let run = await watch(
            [
                Script(sequences: [1, 2], ending: RPCError(code: .unavailable, message: "x")),
                Script(sequences: [2, 3], ending: nil, final: true),
            ], after: 0)
        #expect(run.events == [1, 2, 3])
    }

    @Test("a status that is not worth retrying ends the watch at once")
    func notFound() async {
        let run = await watch([Script(sequences: [], ending: RPCError(code: .notFound, message: "no such workflow"))])
        #expect(run.requests.count == 1)
        #expect((run.result.failure as? RPCError)?.code == .notFound)
    }

    @Test("consecutive breaks without progress are bounded, with growing backoff")
    func bounded() async {
        let policy = WorkflowWatcher.ResumePolicy(
            maxAttempts: 3, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(300), multiplier: 2)
        let broken = Script(sequences: [], ending: RPCError(code: .unavailable, message: "down"))
        let run = await watch([broken, broken, broken, broken, broken], policy: policy)
        #expect(run.requests.count == 4)
        #expect(run.interruptions == [.milliseconds(100), .milliseconds(200), .milliseconds(300)])
        #expect((run.result.failure as? RPCError)?.message == "down")
    }

    @Test("progress resets the attempt count")
    func progressResets() async throws {
        let policy = WorkflowWatcher.ResumePolicy(
            maxAttempts: 1, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(1), multiplier: 2)
        let run = await watch(
            [
                Script(sequences: [1], ending: RPCError(code: .unavailable, message: "a")),
                Script(sequences: [2], ending: RPCError(code: .unavailable, message: "b")),
                Script(sequences: [3], ending: nil, final: true),
            ], policy: policy)
        #expect(try run.result.get() == 3)
    }

    @Test("a stream that ends OK before the final event is resumed; starting after N asks for after N")
    func endedEarly() async throws {
        let run = await watch(
            [
                Script(sequences: [11], ending: nil),
                Script(sequences: [12], ending: nil, final: true),
            ], after: 10)
        #expect(run.requests.map(\.0) == [10, 11])
        #expect(try run.result.get() == 12)
    }

    @Test("a break after the final event still completes the watch")
    func finalThenBreak() async throws {
        let run = await watch([
            Script(sequences: [1, 2], ending: RPCError(code: .unavailable, message: "x"), final: true)
        ])
        #expect(run.requests.count == 1)
        #expect(try run.result.get() == 2)
    }

    @Test("the default backoff doubles from 250 ms up to 5 s")
    func backoff() {
        let policy = WorkflowWatcher.ResumePolicy.defaults
        #expect(
            (1...7).map(policy.backoff(attempt:))
                == [
                    .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5),
                    .seconds(5),
                ])
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
