import Synchronization
public import WeftRPC

/// An in-memory ``RPCMessageSink``: records what a handler writes, lets a test await each message, and can hold
/// writers back to play a slow client.
///
/// One test task reads at a time (``next()``); any number of handler tasks may write.
public final class InMemoryMessageSink: RPCMessageSink {
    private enum WriteAction {
        case stored
        case deliver(CheckedContinuation<[UInt8], any Error>)
        case wait
        case closed
    }

    private struct State {
        var messages: [[UInt8]] = []
        var readIndex = 0
        var reader: CheckedContinuation<[UInt8], any Error>?
        var paused = false
        var closed = false
        var blockedWriters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWriterID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates an open, unpaused sink.
    public init() {}

    /// Every message written so far, in order.
    public var messages: [[UInt8]] {
        state.withLock { $0.messages }
    }

    /// Every message written so far, decoded as `type`.
    public func decoded<M: WireMessage>(as type: M.Type) throws -> [M] {
        try messages.map { try M(wireBytes: $0) }
    }

    /// How many writers are held back by ``pauseWrites()`` right now.
    public var blockedWriterCount: Int {
        state.withLock { $0.blockedWriters.count }
    }

    /// Waits for the next message not yet returned by `next()`.
    /// - Throws: `CancellationError` when the waiting task is cancelled.
    public func next() async throws -> [UInt8] {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
                let ready = state.withLock { state -> [UInt8]? in
                    if state.readIndex < state.messages.count {
                        state.readIndex += 1
                        return state.messages[state.readIndex - 1]
                    }
                    precondition(state.reader == nil, "InMemoryMessageSink supports one reader at a time")
                    state.reader = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let reader = state.withLock { state in
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume(throwing: CancellationError())
        }
    }

    /// Waits for the next message and decodes it as `type`.
    public func next<M: WireMessage>(as type: M.Type) async throws -> M {
        try M(wireBytes: try await next())
    }

    /// Holds every later write until ``resumeWrites()``, as a client that stopped reading would.
    public func pauseWrites() {
        state.withLock { $0.paused = true }
    }

    /// Lets held-back writes complete.
    public func resumeWrites() {
        let writers = state.withLock { state in
            state.paused = false
            defer { state.blockedWriters = [:] }
            return Array(state.blockedWriters.values)
        }
        for writer in writers { writer.resume() }
    }

    /// Closes the sink, as when a stream is reset: pending and later writes throw CANCELLED.
    public func close() {
        let writers = state.withLock { state in
            state.closed = true
            defer { state.blockedWriters = [:] }
            return Array(state.blockedWriters.values)
        }
        for writer in writers { writer.resume(throwing: Self.closedError) }
    }

    public func write(_ message: [UInt8]) async throws {
        while true {
            let action = state.withLock { state -> WriteAction in
                if state.closed { return .closed }
                if state.paused { return .wait }
                state.messages.append(message)
                guard let reader = state.reader else { return .stored }
                state.reader = nil
                state.readIndex += 1
                return .deliver(reader)
            }
            switch action {
            case .stored: return
            case .deliver(let reader):
                reader.resume(returning: message)
                return
            case .closed: throw Self.closedError
            case .wait: try await waitWhilePaused()
            }
        }
    }

    private func waitWhilePaused() async throws {
        let id = state.withLock { state in
            defer { state.nextWriterID += 1 }
            return state.nextWriterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let proceed = state.withLock { state -> Bool in
                    guard state.paused, !state.closed, !Task.isCancelled else { return true }
                    state.blockedWriters[id] = continuation
                    return false
                }
                if proceed { continuation.resume() }  // the write loop re-checks closed and paused
            }
        } onCancel: {
            let writer = state.withLock { $0.blockedWriters.removeValue(forKey: id) }
            writer?.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    private static var closedError: RPCError {
        RPCError(code: .cancelled, message: "the stream was closed")
    }
}

/// An in-memory ``RPCMessageSource``: a test sends requests, half-closes or fails the stream, and the handler
/// under test reads them.
public final class InMemoryMessageSource: RPCMessageSource {
    private struct State {
        var pending: [[UInt8]] = []
        var end: Result<Void, RPCError>?
        var reader: CheckedContinuation<[UInt8]?, any Error>?
    }

    private let state = Mutex(State())

    /// Creates an open source with no requests yet.
    public init() {}

    /// Creates a source holding `requests`, half-closed after them when `halfClosed`.
    public convenience init(_ requests: [any WireMessage], halfClosed: Bool = true) {
        self.init()
        for request in requests { send(request.wireBytes()) }
        if halfClosed { finish() }
    }

    /// Delivers one encoded request.
    public func send(_ bytes: [UInt8]) {
        let reader = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            precondition(state.end == nil, "send after finish")
            guard let reader = state.reader else {
                state.pending.append(bytes)
                return nil
            }
            state.reader = nil
            return reader
        }
        reader?.resume(returning: bytes)
    }

    /// Delivers one request.
    public func send(_ message: some WireMessage) {
        send(message.wireBytes())
    }

    /// Half-closes: the handler reads `nil` once the pending requests are consumed.
    public func finish() {
        end(.success(()))
    }

    /// Fails the stream: the handler's next read throws `error` once the pending requests are consumed.
    public func fail(_ error: RPCError) {
        end(.failure(error))
    }

    public func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let ready = state.withLock { state -> Result<[UInt8]?, RPCError>? in
                    if !state.pending.isEmpty { return .success(state.pending.removeFirst()) }
                    switch state.end {
                    case .success: return .success(nil)
                    case .failure(let error): return .failure(error)
                    case nil: break
                    }
                    if Task.isCancelled { return .failure(Self.cancelledError) }
                    precondition(state.reader == nil, "InMemoryMessageSource supports one reader at a time")
                    state.reader = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let reader = state.withLock { state in
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume(throwing: Self.cancelledError)
        }
    }

    private func end(_ end: Result<Void, RPCError>) {
        let reader = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = end
            guard state.pending.isEmpty, let reader = state.reader else { return nil }
            state.reader = nil
            return reader
        }
        switch end {
        case .success: reader?.resume(returning: nil)
        case .failure(let error): reader?.resume(throwing: error)
        }
    }

    private static var cancelledError: RPCError {
        RPCError(code: .cancelled, message: "the call was cancelled")
    }
}
