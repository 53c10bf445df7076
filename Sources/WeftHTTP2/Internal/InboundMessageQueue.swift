import Synchronization
internal import WeftRPC

/// Requests of a client- or bidirectional-streaming call, queued by the event loop for the handler task.
///
/// Flow control is tied to consumption: while more than `limit` bytes wait here, the loop stops returning
/// received bytes to the peer's window; when the handler drains the queue below the limit, `onDrained` asks
/// the loop to release them. A fast uploader therefore buffers at most `limit` plus one window.
final class InboundMessageQueue: RPCMessageSource {
    private struct State {
        var messages: [[UInt8]] = []
        var head = 0
        var bufferedBytes = 0
        var finished = false
        var error: RPCError?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var holding = false
    }

    private let state = Mutex(State())
    let limit: Int
    private let onDrained: @Sendable () -> Void

    init(limit: Int, onDrained: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.onDrained = onDrained
    }

    func next() async throws -> [UInt8]? {
        if Task.isCancelled { throw RPCError(code: .cancelled, message: "the call was cancelled") }
        return try await withCheckedThrowingContinuation { continuation in
            let (result, drained) = state.withLock { state -> (Result<[UInt8]?, RPCError>?, Bool) in
                if state.head < state.messages.count {
                    let message = state.messages[state.head]
                    state.head += 1
                    if state.head == state.messages.count {
                        state.messages.removeAll(keepingCapacity: true)
                        state.head = 0
                    }
                    state.bufferedBytes -= message.count
                    var drained = false
                    if state.holding && state.bufferedBytes < limit {
                        state.holding = false
                        drained = true
                    }
                    return (.success(message), drained)
                }
                if let error = state.error { return (.failure(error), false) }
                if state.finished { return (.success(nil), false) }
                state.waiter = continuation
                return (nil, false)
            }
            if drained { onDrained() }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Loop side: queues a message; returns true when the queue is over its limit (hold the window).
    @discardableResult
    func push(_ message: [UInt8]) -> Bool {
        let (waiter, over) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, Bool) in
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.messages.append(message)
            state.bufferedBytes += message.count
            let over = state.bufferedBytes >= limit
            if over { state.holding = true }
            return (nil, over)
        }
        waiter?.resume(returning: message)
        return over
    }

    /// Loop side: the client half-closed.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Loop side: the stream failed; pending and future reads throw `error`.
    func fail(_ error: RPCError) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            if state.error == nil { state.error = error }
            state.messages = []
            state.head = 0
            state.bufferedBytes = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// Loop side: true while the queue holds at least `limit` bytes.
    var isOverLimit: Bool { state.withLock { $0.bufferedBytes >= limit } }
}
