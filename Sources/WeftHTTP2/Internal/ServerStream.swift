import NIOCore
internal import WeftRPC

/// One gRPC call on a server connection. Confined to the connection's event loop.
final class ServerStream {
    let id: Int32
    var head: RequestHead
    var deframer: MessageDeframer
    var route: ServiceRouter.Route? {
        didSet { routed = route != nil }
    }
    /// `route != nil`, kept as a flag: testing the optional copies the route (strings and a closure) and costs
    /// retains on every header field and data chunk.
    private(set) var routed = false
    /// How request messages are compressed (`grpc-encoding`).
    var compression: MessageCompression = .identity
    /// How response messages are compressed: the request's algorithm when the client accepts it, else identity.
    var responseCompression: MessageCompression = .identity

    /// The request message of a unary or server-streaming call, and how many arrived (exactly one is valid).
    var requestMessage: [UInt8]?
    var requestMessageCount = 0
    /// The request queue of a client- or bidirectional-streaming call.
    var inbound: InboundMessageQueue?
    /// Bytes received and not yet returned to the flow-control window.
    var heldBytes = 0

    /// The client sent END_STREAM.
    var remoteClosed = false
    /// The handler's task, cancelled when the stream goes away.
    var task: Task<Void, Never>?
    var deadlineTimer: Scheduled<Void>?
    /// While metrics are on and the call is counted as started: its method (an index into its connection's
    /// ``ConnectionMetrics``) and start time.
    var metricsCall: (method: Int, start: UInt64)?

    /// Response HEADERS were submitted (with a body to follow).
    var responseStarted = false
    /// A final status was committed (trailers, Trailers-Only or reset); handler output is dropped after it.
    var finished = false
    /// nghttp2 asked for body bytes and got DEFERRED; it must be resumed when bytes arrive.
    var deferred = false
    /// Body bytes ready for nghttp2 (loop-local), and how far they were read.
    var pending: [UInt8] = []
    var pendingOffset = 0
    /// The streaming response queue shared with the handler task.
    var outbound: StreamOutbound?
    /// Set when the body is complete: the trailers to send after the last byte.
    var trailers: HeaderBlock?

    init(id: Int32, maxHeaderListSize: Int, maxMessageSize: Int) {
        self.id = id
        head = RequestHead(maxHeaderListSize: maxHeaderListSize)
        deframer = MessageDeframer(maxMessageSize: maxMessageSize)
    }

    var pendingCount: Int { pending.count - pendingOffset }

    /// Moves what the producer queued into the loop-local buffer, when the local one is empty.
    func refill() {
        guard pendingCount == 0, let outbound else { return }
        pending = outbound.take()
        pendingOffset = 0
    }

    /// Copies body bytes into nghttp2's buffer; ends the body with the trailers once everything is out.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        refill()
        let count = min(buffer.count, pendingCount)
        if count > 0 {
            pending.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + pendingOffset, byteCount: count)
            }
            pendingOffset += count
            if pendingCount == 0 {
                pending = []
                pendingOffset = 0
            }
        }
        if pendingCount == 0, let trailers, outbound?.isEmpty ?? true {
            return .bytes(count: count, end: true, trailers: trailers)
        }
        if count == 0 {
            deferred = true
            return .deferred
        }
        return .bytes(count: count, end: false, trailers: nil)
    }
}
