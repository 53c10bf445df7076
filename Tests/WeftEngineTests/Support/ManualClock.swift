import Synchronization

/// A `Clock` for tests whose time moves only when the test says so.
///
/// `now` starts at ``Instant/zero`` and moves only in ``advance(by:)`` and ``advance(to:)``, which resume every
/// sleeper whose deadline has been reached, earliest deadline first (equal deadlines in the order the sleeps began).
/// Resuming only schedules the woken tasks: they run after `advance` returns, and `now` is already the new time when
/// they do. A sleep whose deadline is not in the future returns at once without registering; a sleeping task that is
/// cancelled wakes at once with `CancellationError`.
///
/// ``waitForSleepers(count:)`` suspends until at least that many sleeps are registered, so a test advances time
/// exactly when the code under test is waiting, with no real sleeps or polling:
///
/// ```swift
/// let clock = ManualClock()
/// async let result = work(sleepingOn: clock)   // sleeps 100 ms of clock time
/// await clock.waitForSleepers(count: 1)
/// clock.advance(by: .milliseconds(100))
/// _ = try await result
/// ```
///
/// Code that sleeps in steps (heartbeat loops) registers its next sleep only after running, so drive it one step at
/// a time: wait for the sleeper, advance, repeat. ``advanceToNextDeadline()`` does one such step.
final class ManualClock: Clock, Sendable {
    /// A point of the manual clock's time: the duration since the clock was made.
    struct Instant: InstantProtocol, CustomStringConvertible {
        /// Time since the clock's start.
        var offset: Duration

        /// The clock's start.
        static var zero: Instant { Instant(offset: .zero) }

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }

        var description: String { "ManualClock.Instant(\(offset))" }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct SleeperWaiter {
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant.zero
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        /// Sleeps that have an id but are not registered yet, and those of them cancelled in that window.
        var starting: Set<UInt64> = []
        var cancelledWhileStarting: Set<UInt64> = []
        var waiters: [SleeperWaiter] = []
        var totalSleeps = 0

        /// Removes and returns the waiters whose count of sleepers is reached.
        mutating func satisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
            let count = sleepers.count
            let ready = waiters.filter { $0.count <= count }.map(\.continuation)
            waiters.removeAll { $0.count <= count }
            return ready
        }
    }

    private let state = Mutex(State())

    /// Makes a clock at ``Instant/zero`` with no sleepers.
    init() {}

    /// The current time; moves only in ``advance(by:)`` and ``advance(to:)``.
    var now: Instant { state.withLock { $0.now } }

    /// Zero: the clock has no resolution of its own.
    var minimumResolution: Duration { .zero }

    /// Sleeps that are registered and waiting for time to pass.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Sleeps registered since the clock was made (woken, cancelled or still waiting).
    var totalSleeps: Int { state.withLock { $0.totalSleeps } }

    /// The earliest deadline of a registered sleeper, if any.
    var nextDeadline: Instant? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    /// Suspends until `deadline`, until cancelled (throwing `CancellationError`).
    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            state.starting.insert(state.nextID)
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Action {
                    case resume, cancel
                    case registered([CheckedContinuation<Void, Never>])
                }
                let action = state.withLock { state -> Action in
                    state.starting.remove(id)
                    if state.cancelledWhileStarting.remove(id) != nil { return .cancel }
                    if deadline <= state.now { return .resume }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    state.totalSleeps += 1
                    return .registered(state.satisfiedWaiters())
                }
                switch action {
                case .resume: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                case .registered(let waiters): for waiter in waiters { waiter.resume() }
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let index = state.sleepers.firstIndex(where: { $0.id == id }) {
                    return state.sleepers.remove(at: index).continuation
                }
                // Not registered yet: the registration sees this and throws instead of sleeping.
                if state.starting.contains(id) { state.cancelledWhileStarting.insert(id) }
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes the sleepers whose deadline is reached, earliest first.
    func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock cannot go back in time")
        let target = state.withLock { $0.now.advanced(by: duration) }
        advance(to: target)
    }

    /// Moves time to `instant` (if it is later than now) and wakes the sleepers whose deadline is reached, earliest
    /// first.
    func advance(to instant: Instant) {
        let due = state.withLock { state -> [Sleeper] in
            if instant > state.now { state.now = instant }
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time to the earliest registered deadline and wakes the sleepers due then; returns false (and does
    /// nothing) when nobody sleeps.
    @discardableResult
    func advanceToNextDeadline() -> Bool {
        guard let deadline = nextDeadline else { return false }
        advance(to: deadline)
        return true
    }

    /// Suspends until at least `count` sleeps are registered (returns at once if they already are).
    ///
    /// Not cancellable: bound the test with a time limit if the code under test might never sleep.
    func waitForSleepers(count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.sleepers.count >= count { return true }
                state.waiters.append(SleeperWaiter(count: count, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
