import Synchronization
import WeftEngine

/// The open watches of one ``RedisEventLog``, so that a shutting-down server can end them at once (their workflows
/// go on in the next process; watchers resume there with `after_sequence`) instead of waiting for events that this
/// process will no longer write.
final class RedisWatchRegistry: Sendable {
    private struct State {
        var next: UInt64 = 0
        var ended = false
        var stops: [UInt64: @Sendable (EngineError) -> Void] = [:]
    }

    private let state = Mutex(State())

    /// Registers a watch's stop action; nil (and the caller ends the watch) once ``endAll(_:)`` ran.
    func register(_ stop: @escaping @Sendable (EngineError) -> Void) -> UInt64? {
        state.withLock { state in
            guard !state.ended else { return nil }
            defer { state.next += 1 }
            state.stops[state.next] = stop
            return state.next
        }
    }

    func unregister(_ id: UInt64) {
        _ = state.withLock { $0.stops.removeValue(forKey: id) }
    }

    /// Ends every open watch, and every later one at once, with `error`.
    func endAll(_ error: EngineError) {
        let stops = state.withLock { state in
            state.ended = true
            defer { state.stops = [:] }
            return Array(state.stops.values)
        }
        for stop in stops { stop(error) }
    }
}
