import Synchronization
import WeftRPC

/// A message holding raw bytes; it refuses any encoding that starts with 0xFF, so tests can provoke a decode failure.
struct Blob: WireMessage, Equatable {
    struct Rejected: Error {}

    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    init(wireBytes bytes: UnsafeRawBufferPointer) throws {
        if bytes.first == 0xFF { throw Rejected() }
        self.bytes = Array(bytes)
    }

    func wireBytes() -> [UInt8] { bytes }
}

/// A service whose methods are given by the test.
struct StubService: RPCService {
    var serviceName: String
    var methods: [(method: String, handler: RPCHandler)]
}

/// A source that hands out fixed requests and then ends, or fails with `failure`.
final class ListSource: RPCMessageSource {
    private let state: Mutex<[[UInt8]]>
    private let failure: RPCError?

    init(_ requests: [[UInt8]], failure: RPCError? = nil) {
        state = Mutex(requests)
        self.failure = failure
    }

    func next() async throws -> [UInt8]? {
        let next = state.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        if next == nil, let failure { throw failure }
        return next
    }
}

/// A sink that records what was written.
final class RecordingSink: RPCMessageSink {
    private let state = Mutex<[[UInt8]]>([])

    var messages: [[UInt8]] { state.withLock { $0 } }

    func write(_ message: [UInt8]) async throws {
        state.withLock { $0.append(message) }
    }
}

func context(_ kind: RPCKind = .unary) -> ServerContext {
    ServerContext(method: MethodDescriptor(service: "test.v1.Stub", method: "Call", kind: kind))
}
