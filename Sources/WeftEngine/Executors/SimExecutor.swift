/// The `sim` executor: simulates work for demos, tests and benchmarks, driven by the task's JSON input.
///
/// An attempt sleeps on the engine clock for the task's duration (so tests run it in virtual time), heartbeating
/// while it sleeps, then succeeds or fails as the input says. Sleeping is cancellable: a timed-out or cancelled
/// attempt ends at once with `CancellationError`. The input is a JSON object; empty input, or valid JSON that is not
/// an object, means all defaults; unknown keys are ignored; malformed JSON or a key of the wrong type fails the
/// attempt with a non-retryable ``ActivityFailure`` of type `InvalidInput` naming the problem.
///
/// | Key | Default | Meaning |
/// |---|---|---|
/// | `duration_ms` | by complexity: SIMPLE 200, MEDIUM 400, COMPLEX 800, META 1000 | Simulated work time. |
/// | `heartbeat_ms` | 100 | Heartbeat interval while working (> 0); details are `{"progress":0.25}`. |
/// | `stop_heartbeat_after_ms` | none | No heartbeat later than this after the start; the work goes on (to provoke a heartbeat timeout). |
/// | `fail_attempts` | 0 | Attempts 1…N do the work, then fail with "simulated failure (attempt k of N)". |
/// | `fail_type` | `SimulatedFailure` | The failure's type (matched against non-retryable types of the retry policy). |
/// | `retryable` | true | false makes the simulated failures non-retryable. |
/// | `output` | a short text naming the task, its type, complexity and attempt | The result text, returned as is. |
/// | `expand` | none | Task objects (`id`, `type`, `complexity`, `description`, `depends_on`, `input`, `executor`) returned as new tasks, for META expansion. |
/// | `adapt_fraction` | 0.3 | With a cached reference to adapt, the share of `duration_ms` worked. |
///
/// Heartbeats come every `heartbeat_ms` of clock time while the work goes on (none at the start or the end): a
/// 400 ms task with the default interval heartbeats at 100, 200 and 300 ms with progress 0.25, 0.5 and 0.75. Sleep
/// deadlines are measured from the attempt's start, so heartbeating adds no drift to the duration.
///
/// When the activity carries a ``Activity/reference`` (the cache said "adapt"), the attempt works only
/// `adapt_fraction` of the duration and the default output names the reference's task.
///
/// `expand` entries need an `id`; `complexity` is one of SIMPLE, MEDIUM (default), COMPLEX, META; `input` is taken
/// as is when it is a string and as its JSON text otherwise, so nested sim inputs can be written as objects.
/// Expansion tasks are returned only on success. `docs/executors.md` documents the same keys with examples.
public struct SimExecutor: ActivityExecutor {
    /// The clock the simulated work sleeps on.
    public let clock: EngineClock

    /// Makes a simulator that sleeps on `clock` (``EngineClock/live`` in production, a manual clock in tests).
    public init(clock: EngineClock) {
        self.clock = clock
    }

    /// Simulates one attempt of `activity` as its input says.
    ///
    /// - Throws: `CancellationError` when cancelled; ``ActivityFailure`` for simulated failures and invalid input.
    public func execute(_ activity: Activity, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput {
        let parameters = try SimParameters(task: activity.task)
        try Task.checkCancellation()

        var duration = parameters.duration
        if activity.reference != nil { duration = duration * parameters.adaptFraction }
        try await work(on: clock.clock, for: duration, parameters: parameters, heartbeat: heartbeat)

        if activity.attempt <= parameters.failAttempts {
            throw ActivityFailure(
                "simulated failure (attempt \(activity.attempt) of \(parameters.failAttempts))",
                type: parameters.failType, retryable: parameters.retryable)
        }
        return ActivityOutput(
            output: parameters.output ?? Self.defaultOutput(activity), newTasks: parameters.expand)
    }

    /// The result text when the input gives none.
    static func defaultOutput(_ activity: Activity) -> String {
        let task = activity.task
        let kind = task.type.isEmpty ? task.complexity.rawValue : "\(task.type), \(task.complexity.rawValue)"
        var text = "sim: task \(task.id) (\(kind)) completed on attempt \(activity.attempt)"
        if let reference = activity.reference { text += ", adapted from the result of task \(reference.taskID)" }
        return text
    }

    /// Sleeps `total` on `clock` in heartbeat-sized steps, each deadline measured from the start.
    private func work<C: Clock>(
        on clock: C, for total: Duration, parameters: SimParameters, heartbeat: HeartbeatRecorder
    ) async throws where C.Duration == Duration {
        let start = clock.now
        var elapsed = Duration.zero
        while elapsed < total {
            let tick = elapsed + parameters.heartbeatInterval
            let beats = tick < total && (parameters.stopHeartbeatAfter.map { tick <= $0 } ?? true)
            let next = beats ? tick : total
            try await clock.sleep(until: start.advanced(by: next), tolerance: nil)
            elapsed = next
            if beats { heartbeat(Self.progressDetails(elapsed / total)) }
        }
    }

    /// Heartbeat details: `{"progress":0.25}`, rounded to three decimals.
    static func progressDetails(_ fraction: Double) -> String {
        "{\"progress\":\((fraction * 1000).rounded() / 1000)}"
    }
}
