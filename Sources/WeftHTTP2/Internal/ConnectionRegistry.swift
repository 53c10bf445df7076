import NIOCore
import Synchronization

/// The server's open connections, so that a drain can reach each one on its own event loop.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let eventLoop: any EventLoop
        let shutdown: @Sendable () -> Void
        let forceClose: @Sendable () -> Void
    }

    private struct State {
        var nextID = 0
        var entries: [Int: Entry] = [:]
        var draining = false
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Registers a connection; `shutdown` runs on `eventLoop` when the server drains. A connection that opens
    /// during a drain is told at once. Returns nil, registering nothing, when `limit` connections are open.
    func add(
        eventLoop: any EventLoop, limit: Int = .max, shutdown: @escaping @Sendable () -> Void,
        forceClose: @escaping @Sendable () -> Void
    ) -> Int? {
        let registered = state.withLock { state -> (Int, Bool)? in
            guard state.entries.count < limit else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(eventLoop: eventLoop, shutdown: shutdown, forceClose: forceClose)
            return (id, state.draining)
        }
        guard let (id, draining) = registered else { return nil }
        if draining { eventLoop.execute(shutdown) }
        return id
    }

    func remove(_ id: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries[id] = nil
            guard state.entries.isEmpty else { return [] }
            defer { state.emptyWaiters = [] }
            return state.emptyWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// Starts the GOAWAY sequence on every connection.
    func drainAll() {
        let entries = state.withLock { state in
            state.draining = true
            return Array(state.entries.values)
        }
        for entry in entries { entry.eventLoop.execute(entry.shutdown) }
    }

    /// Cancels what is left on every connection and closes it (the grace period is over).
    func forceCloseAll() {
        let entries = state.withLock { Array($0.entries.values) }
        for entry in entries { entry.eventLoop.execute(entry.forceClose) }
    }

    /// Returns once no connection is open.
    func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.entries.isEmpty { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
