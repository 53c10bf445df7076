public import WeftMessages
public import WeftRPC

/// Follows a workflow's event stream to its end, resuming after breaks the way a good client does.
///
/// When the stream fails with a status that says "try again" (UNAVAILABLE, RESOURCE_EXHAUSTED — the server ends
/// watchers that fall too far behind —, ABORTED, CANCELLED by the server, INTERNAL) or ends before the workflow's
/// final event, the watcher waits (exponential backoff) and reopens it with `after_sequence` = the last sequence it
/// saw, so every event is delivered once and in order. Attempts are bounded: ``ResumePolicy/maxAttempts``
/// consecutive breaks without a new event end the watch with the last error.
public struct WorkflowWatcher: Sendable {
    /// When and how often to resume a broken stream.
    public struct ResumePolicy: Sendable {
        /// Consecutive reopenings without receiving an event before giving up; 0 = never resume.
        public var maxAttempts: Int
        /// The wait before the first reopening.
        public var initialBackoff: Duration
        /// The longest wait between reopenings.
        public var maxBackoff: Duration
        /// How much each wait grows.
        public var multiplier: Double

        /// A policy.
        public init(maxAttempts: Int, initialBackoff: Duration, maxBackoff: Duration, multiplier: Double) {
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.multiplier = multiplier
        }

        /// 6 attempts, waits of 0.25 s, 0.5 s, 1 s, 2 s, 4 s, 5 s.
        public static var defaults: ResumePolicy {
            ResumePolicy(maxAttempts: 6, initialBackoff: .milliseconds(250), maxBackoff: .seconds(5), multiplier: 2)
        }

        /// The wait before reopening attempt `attempt` (1-based).
        public func backoff(attempt: Int) -> Duration {
            var wait = initialBackoff
            for _ in 1..<max(attempt, 1) { wait = min(wait * multiplier, maxBackoff) }
            return min(wait, maxBackoff)
        }
    }

    /// A break the watcher is about to recover from, reported before it waits.
    public struct Interruption: Sendable {
        /// Why the stream ended.
        public var error: RPCError
        /// The sequence the stream will resume after.
        public var afterSequence: UInt64
        /// 1 for the first reopening after the last event received.
        public var attempt: Int
        /// The most attempts that will be made.
        public var maxAttempts: Int
        /// How long the watcher waits before reopening.
        public var backoff: Duration
    }

    /// The workflow being watched.
    public var workflowID: String
    /// How breaks are handled.
    public var policy: ResumePolicy

    /// A watcher of one workflow.
    public init(workflowID: String, policy: ResumePolicy = .defaults) {
        self.workflowID = workflowID
        self.policy = policy
    }

    /// The request that opens (or reopens) the stream after a sequence number.
    public func request(afterSequence: UInt64) -> Weft_V1_WatchWorkflowRequest {
        Weft_V1_WatchWorkflowRequest(workflowID: workflowID, afterSequence: afterSequence)
    }

    /// Whether a stream that failed with `error` is worth reopening.
    public static func isResumable(_ error: RPCError) -> Bool {
        [.unavailable, .resourceExhausted, .aborted, .cancelled, .internal].contains(error.code)
    }

    /// Watches from `afterSequence` until the workflow's final event and the stream's end.
    ///
    /// - Parameters:
    ///   - open: opens the stream for a request; `reconnect` is true when reopening after a break, the moment to
    ///     replace a connection that may be dead.
    ///   - onEvent: each event, once, in sequence order.
    ///   - onInterruption: each break that will be resumed, before the wait.
    /// - Returns: the final event (workflow completed, failed or cancelled).
    /// - Throws: the ``RPCError`` that ended the watch: one that is not resumable, or the last one when the
    ///   attempts ran out; `CancellationError` when the calling task is cancelled.
    public func run<C: Clock>(
        afterSequence: UInt64 = 0,
        clock: C = ContinuousClock(),
        open: (_ request: Weft_V1_WatchWorkflowRequest, _ reconnect: Bool) async throws
            -> ResponseStream<Weft_V1_WorkflowEvent>,
        onEvent: (Weft_V1_WorkflowEvent) async throws -> Void,
        onInterruption: (Interruption) async -> Void = { _ in }
    ) async throws -> Weft_V1_WorkflowEvent where C.Duration == Duration {
        var last = afterSequence
        var final: Weft_V1_WorkflowEvent?
        var failures = 0
        while true {
            let failure: RPCError
            do {
                let stream = try await open(request(afterSequence: last), failures > 0)
                for try await event in stream {
                    // A resumed stream never repeats what was seen; guard anyway, so output stays exact.
                    guard event.sequence > last else { continue }
                    last = event.sequence
                    failures = 0
                    if Self.isFinal(event) { final = event }
                    try await onEvent(event)
                }
                if let final { return final }
                failure = RPCError(code: .unavailable, message: "the stream ended before the workflow finished")
            } catch let error as RPCError {
                failure = error
            } catch is CancellationError {
                throw CancellationError()
            }
            try Task.checkCancellation()
            // The final event arrived but the stream then broke: the watch is complete all the same.
            if let final { return final }
            guard Self.isResumable(failure), failures < policy.maxAttempts else { throw failure }
            failures += 1
            let wait = policy.backoff(attempt: failures)
            await onInterruption(
                Interruption(
                    error: failure, afterSequence: last, attempt: failures,
                    maxAttempts: policy.maxAttempts, backoff: wait))
            try await clock.sleep(for: wait)
        }
    }

    /// Whether an event ends the workflow (completed, failed or cancelled).
    public static func isFinal(_ event: Weft_V1_WorkflowEvent) -> Bool {
        switch event.payload {
        case .workflowCompleted, .workflowFailed, .workflowCancelled: true
        default: false
        }
    }
}
