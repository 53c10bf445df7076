import Synchronization
public import WeftMessages

/// The serving status of the server (`""`) and of each named service, as `grpc.health.v1.Health` reports it.
///
/// Reads are a lock and a dictionary lookup, cheap enough for a probe on every request. Watchers are told of
/// changes through a one-slot signal each: a watcher that has not caught up sees only the latest status, so a
/// slow client costs neither memory nor the time of whoever changes a status.
///
/// Shutdown has two steps: ``enterDrain()`` reports every name as NOT_SERVING (and keeps it so), then
/// ``endWatches()`` ends every `Watch` stream with UNAVAILABLE once the server is about to close.
public final class HealthRegistry: Sendable {
    /// A serving status; the registry stores ``ServingStatus/serving`` or ``ServingStatus/notServing``.
    public typealias ServingStatus = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    /// What a new watcher gets.
    enum Subscription {
        /// Registered: each element of `changes` means "re-read the status"; it ends when the server shuts down.
        case watching(id: UInt64, changes: AsyncStream<Void>)
        /// The server has ended all watches.
        case ended
    }

    private struct State {
        var statuses: [String: ServingStatus]
        var draining = false
        var ended = false
        var watchers: [String: [UInt64: AsyncStream<Void>.Continuation]] = [:]
        var nextWatcherID: UInt64 = 0

        /// Stores `status` for `service`; returns the watchers to signal when it changed.
        mutating func set(_ status: ServingStatus, for service: String) -> [AsyncStream<Void>.Continuation] {
            let effective = draining && status == .serving ? .notServing : status
            guard statuses.updateValue(effective, forKey: service) != effective else { return [] }
            return watchers[service].map { Array($0.values) } ?? []
        }
    }

    private let state: Mutex<State>

    /// Creates a registry in which the server as a whole (`""`) has `serverStatus`.
    public init(serverStatus: ServingStatus = .serving) {
        state = Mutex(State(statuses: ["": serverStatus]))
    }

    /// Sets the status of `service` (`""` for the whole server), registering the name if it is new.
    ///
    /// While draining, a request for SERVING is stored as NOT_SERVING.
    public func setStatus(_ status: ServingStatus, for service: String) {
        let toSignal = state.withLock { $0.set(status, for: service) }
        for watcher in toSignal { watcher.yield() }
    }

    /// The status of `service`, or `nil` when the name is not registered.
    public func status(for service: String) -> ServingStatus? {
        state.withLock { $0.statuses[service] }
    }

    /// Whether ``enterDrain()`` was called.
    public var isDraining: Bool {
        state.withLock { $0.draining }
    }

    /// Reports every registered name as NOT_SERVING, tells every watcher, and keeps later SERVING requests at
    /// NOT_SERVING: the first step of a graceful shutdown, so load balancers and probes stop sending traffic.
    public func enterDrain() {
        let toSignal = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            state.draining = true
            var toSignal: [AsyncStream<Void>.Continuation] = []
            for service in Array(state.statuses.keys) {
                toSignal += state.set(.notServing, for: service)
            }
            return toSignal
        }
        for watcher in toSignal { watcher.yield() }
    }

    /// Ends every `Watch` stream, now and later, with UNAVAILABLE ("server shutting down"): the last step of a
    /// shutdown, after which a watcher would otherwise keep the connection open. `Check` keeps working.
    public func endWatches() {
        let toFinish = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            state.ended = true
            defer { state.watchers = [:] }
            return state.watchers.values.flatMap(\.values)
        }
        for watcher in toFinish { watcher.finish() }
    }

    /// Registers a watcher of `service`; the caller must ``unsubscribe(_:from:)`` when it stops watching.
    func subscribe(to service: String) -> Subscription {
        // One slot: changes made while the watcher is busy collapse into one "re-read" signal.
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> UInt64? in
            guard !state.ended else { return nil }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[service, default: [:]][id] = continuation
            return id
        }
        guard let id else { return .ended }
        return .watching(id: id, changes: changes)
    }

    /// Removes a watcher registered by ``subscribe(to:)``; harmless after ``endWatches()``.
    func unsubscribe(_ id: UInt64, from service: String) {
        let removed = state.withLock { state -> AsyncStream<Void>.Continuation? in
            let removed = state.watchers[service]?.removeValue(forKey: id)
            if state.watchers[service]?.isEmpty == true { state.watchers[service] = nil }
            return removed
        }
        removed?.finish()
    }

    /// How many watchers are registered; for tests and metrics.
    var watcherCount: Int {
        state.withLock { $0.watchers.values.reduce(0) { $0 + $1.count } }
    }
}
