import Synchronization
import WeftEngine

/// An ``ActivityExecutor`` test double: each attempt does what the test's script says, and every step is written
/// to a journal the test can read (start, cancellation observed, end), so tests can assert what ran when and that
/// two attempts of a task never overlapped.
///
/// A blocking attempt waits until the test resolves it through its ``ScriptedCall`` (succeed, fail, heartbeat on
/// command) or until its task is cancelled. It observes cancellation through a cancellation handler, at once, with
/// no clock involved; what it does then is part of the script (throw `CancellationError`, or return a late result
/// that the runner must discard).
final class ScriptedExecutor: ActivityExecutor {
    /// What one attempt does.
    enum Behavior: Sendable {
        /// Returns this output at once.
        case succeed(ActivityOutput)
        /// Throws this failure at once.
        case fail(ActivityFailure)
        /// Throws this error (not an ``ActivityFailure``) at once.
        case throwError(any Error & Sendable)
        /// Waits for the test (``ScriptedCall``) or for cancellation.
        case block(whenCancelled: WhenCancelled = .throwCancellation)
    }

    /// What a blocked attempt does once it observes cancellation.
    enum WhenCancelled: Sendable {
        case throwCancellation
        /// Returns this output anyway: a late result the runner must discard.
        case returnLateResult(String)
    }

    /// One line of the journal.
    enum Entry: Sendable, Hashable, CustomStringConvertible {
        case started(String, attempt: Int)
        /// The attempt's task was cancelled (seen by the cancellation handler, before the attempt returned).
        case cancelled(String, attempt: Int)
        /// The attempt returned or threw; `outcome` is "succeeded", "failed" or "cancelled".
        case ended(String, attempt: Int, outcome: String)

        var description: String {
            switch self {
            case .started(let task, let attempt): "started \(task)#\(attempt)"
            case .cancelled(let task, let attempt): "cancelled \(task)#\(attempt)"
            case .ended(let task, let attempt, let outcome): "ended \(task)#\(attempt) \(outcome)"
            }
        }
    }

    private struct State {
        var calls: [ScriptedCall] = []
        var journal: [Entry] = []
    }

    private let script: @Sendable (Activity) -> Behavior
    private let now: @Sendable () -> Duration
    private let state = Mutex(State())

    /// - Parameters:
    ///   - now: The time recorded as each call's start (the test's manual clock).
    ///   - script: What each attempt does; blocking by default.
    init(
        now: @escaping @Sendable () -> Duration = { .zero },
        script: @escaping @Sendable (Activity) -> Behavior = { _ in .block() }
    ) {
        self.now = now
        self.script = script
    }

    /// Every attempt started so far, in start order.
    var calls: [ScriptedCall] { state.withLock { $0.calls } }

    /// What happened so far, in order.
    var journal: [Entry] { state.withLock { $0.journal } }

    /// The attempt `attempt` of task `taskID`, if it has started.
    func call(_ taskID: String, attempt: Int = 1) -> ScriptedCall? {
        state.withLock { state in
            state.calls.first { $0.activity.task.id == taskID && $0.activity.attempt == attempt }
        }
    }

    /// Waits (in real time, bounded) until attempt `attempt` of `taskID` has started, and returns it.
    func waitForCall(_ taskID: String, attempt: Int = 1) async throws -> ScriptedCall {
        try await eventually("attempt \(attempt) of task \"\(taskID)\" starts") {
            self.call(taskID, attempt: attempt) != nil
        }
        return call(taskID, attempt: attempt)!
    }

    func execute(_ activity: Activity, heartbeat: HeartbeatRecorder) async throws -> ActivityOutput {
        let call = ScriptedCall(activity: activity, heartbeat: heartbeat, startedAt: now()) { [weak self] entry in
            self?.write(entry)
        }
        let behavior = script(activity)
        state.withLock { state in
            state.calls.append(call)
            state.journal.append(.started(activity.task.id, attempt: activity.attempt))
        }
        do {
            let output = try await run(behavior, call: call)
            write(.ended(activity.task.id, attempt: activity.attempt, outcome: "succeeded"))
            return output
        } catch is CancellationError {
            write(.ended(activity.task.id, attempt: activity.attempt, outcome: "cancelled"))
            throw CancellationError()
        } catch {
            write(.ended(activity.task.id, attempt: activity.attempt, outcome: "failed"))
            throw error
        }
    }

    private func run(_ behavior: Behavior, call: ScriptedCall) async throws -> ActivityOutput {
        switch behavior {
        case .succeed(let output): return output
        case .fail(let failure): throw failure
        case .throwError(let error): throw error
        case .block(let whenCancelled):
            switch await call.waitForResolution() {
            case .success(let output): return output
            case .failure(let failure): throw failure
            case .cancelled:
                switch whenCancelled {
                case .throwCancellation: throw CancellationError()
                case .returnLateResult(let output): return ActivityOutput(output: output)
                }
            }
        }
    }

    private func write(_ entry: Entry) {
        state.withLock { $0.journal.append(entry) }
    }
}

/// One attempt run by a ``ScriptedExecutor``, for the test to drive.
final class ScriptedCall: Sendable {
    enum Resolution: Sendable {
        case success(ActivityOutput)
        case failure(ActivityFailure)
        case cancelled
    }

    private struct State {
        var resolution: Resolution?
        var waiter: CheckedContinuation<Resolution, Never>?
        var cancelled = false
    }

    /// The attempt as the executor received it (task, attempt number, timeouts, last heartbeat details).
    let activity: Activity
    /// Clock time when the attempt started.
    let startedAt: Duration
    private let heartbeatRecorder: HeartbeatRecorder
    private let journal: @Sendable (ScriptedExecutor.Entry) -> Void
    private let state = Mutex(State())

    init(
        activity: Activity, heartbeat: HeartbeatRecorder, startedAt: Duration,
        journal: @escaping @Sendable (ScriptedExecutor.Entry) -> Void
    ) {
        self.activity = activity
        self.heartbeatRecorder = heartbeat
        self.startedAt = startedAt
        self.journal = journal
    }

    /// True once the attempt's task was cancelled (observed by its cancellation handler).
    var wasCancelled: Bool { state.withLock { $0.cancelled } }

    /// Records a heartbeat, as a working executor would.
    func heartbeat(_ details: String = "") { heartbeatRecorder(details) }

    /// Ends a blocked attempt with this output.
    func succeed(_ output: String, newTasks: [TaskSpec] = []) {
        resolve(.success(ActivityOutput(output: output, newTasks: newTasks)))
    }

    /// Ends a blocked attempt with this failure.
    func fail(_ failure: ActivityFailure) { resolve(.failure(failure)) }

    /// Waits (in real time, bounded) until the attempt's task has been cancelled.
    func waitForCancellation() async throws {
        try await eventually("attempt \(activity.attempt) of task \"\(activity.task.id)\" observes cancellation") {
            self.wasCancelled
        }
    }

    fileprivate func waitForResolution() async -> Resolution {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Resolution, Never>) in
                let ready = state.withLock { state -> Resolution? in
                    if let resolution = state.resolution { return resolution }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let first = state.withLock { state -> Bool in
                defer { state.cancelled = true }
                return !state.cancelled
            }
            if first { journal(.cancelled(activity.task.id, attempt: activity.attempt)) }
            resolve(.cancelled)
        }
    }

    /// The first resolution wins; later ones are ignored.
    private func resolve(_ resolution: Resolution) {
        let waiter = state.withLock { state -> CheckedContinuation<Resolution, Never>? in
            guard state.resolution == nil else { return nil }
            state.resolution = resolution
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: resolution)
    }
}
