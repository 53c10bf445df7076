import Synchronization
internal import WeftRPC

/// A server stream's bounded outbound queue, shared by the handler task (producer) and the event loop.
///
/// `write` appends a framed message under a lock and wakes the loop once per batch; when the queue holds
/// `limit` bytes or more the producer suspends until the loop has taken them. A slow reader therefore costs
/// at most `limit` bytes here (plus nghttp2's flow-control window) and slows only its own producer.
final class StreamOutbound: RPCMessageSink {
    private struct State {
        var buffer: [UInt8] = []
        var closed: RPCError?
        var waiter: CheckedContinuation<Void, any Error>?
        var wakeScheduled = false
    }

    private let state = Mutex(State())
    private let limit: Int
    private let compression: MessageCompression
    /// Schedules the loop to pull from this queue; called at most once per batch of writes.
    private let wake: @Sendable () -> Void

    init(limit: Int, compression: MessageCompression = .identity, wake: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.compression = compression
        self.wake = wake
    }

    func write(_ message: [UInt8]) async throws {
        let payload = compression == .identity ? message : compression.compress(message)
        let (needsWake, full) = try state.withLock { state throws -> (Bool, Bool) in
            if let error = state.closed { throw error }
            appendFramed(payload, compressed: compression != .identity, to: &state.buffer)
            let needsWake = !state.wakeScheduled
            state.wakeScheduled = true
            return (needsWake, state.buffer.count >= limit)
        }
        if needsWake { wake() }
        guard full else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let resume: Result<Void, RPCError>? = state.withLock { state in
                if let error = state.closed { return .failure(error) }
                if state.buffer.count < limit { return .success(()) }
                state.waiter = continuation
                return nil
            }
            if let resume { continuation.resume(with: resume) }
        }
    }

    /// Loop side: takes everything queued so far and lets a suspended producer continue.
    func take() -> [UInt8] {
        let (bytes, waiter) = state.withLock { state -> ([UInt8], CheckedContinuation<Void, any Error>?) in
            var taken: [UInt8] = []
            swap(&taken, &state.buffer)
            state.wakeScheduled = false
            let waiter = state.waiter
            state.waiter = nil
            return (taken, waiter)
        }
        waiter?.resume()
        return bytes
    }

    /// Loop side: true when nothing is queued.
    var isEmpty: Bool { state.withLock { $0.buffer.isEmpty } }

    /// Fails further writes (stream closed, cancelled, or response already final) and wakes a waiting producer.
    func close(_ error: RPCError) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.closed == nil { state.closed = error }
            state.buffer = []
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(throwing: error)
    }
}

/// Appends the 5-byte gRPC prefix and the payload.
@inline(__always)
func appendFramed(_ payload: [UInt8], compressed: Bool, to buffer: inout [UInt8]) {
    let length = UInt32(payload.count)
    buffer.append(compressed ? 1 : 0)
    buffer.append(UInt8(truncatingIfNeeded: length >> 24))
    buffer.append(UInt8(truncatingIfNeeded: length >> 16))
    buffer.append(UInt8(truncatingIfNeeded: length >> 8))
    buffer.append(UInt8(truncatingIfNeeded: length))
    buffer.append(contentsOf: payload)
}
