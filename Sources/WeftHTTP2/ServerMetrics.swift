public import CoreMetrics
import NIOCore
import Synchronization
import WeftRPC

/// The gRPC server's metrics through swift-metrics, with the names and labels of the usual gRPC server metrics
/// (go-grpc-prometheus): `grpc_server_started_total`, `grpc_server_handled_total` (with `grpc_code`) and
/// `grpc_server_handling_seconds` (a timer) by `grpc_service`, `grpc_method` and `grpc_type`; and the transport's
/// `weft_http2_connections_open`, `weft_http2_streams_open` (calls in flight), `weft_http2_goaways_total{cause}`
/// (causes: ``GoawayCause``) and `weft_http2_resets_total{cause}` (causes: ``ResetCause``).
///
/// Built for the hot path: a method's metric objects are created once, on its first call, and each connection
/// keeps them in a loop-confined cache, so a call costs two counter increments and one timer record. Set it on
/// ``GRPCServerConfig/metrics``; `nil` turns every metric off.
public final class ServerMetrics: Sendable {
    /// Why the server sent a GOAWAY.
    public enum GoawayCause: String, Sendable, CaseIterable {
        /// The client reset streams faster than `streamResetRatePerSecond` allows.
        case rapidReset = "rapid_reset"
        /// nghttp2 detected a flood (SETTINGS, PING or RST_STREAM frames it must answer, left unread).
        case flood
        /// Any other connection error the client caused.
        case `protocol`
        /// Graceful shutdown of the server.
        case drain
        /// The connection had no stream for ``ConnectionManagement/maxIdle``.
        case idle = "max_idle"
        /// The connection reached ``ConnectionManagement/maxAge``.
        case maxAge = "max_age"
        /// The client did not answer a keepalive PING within ``ConnectionManagement/keepaliveTimeout``.
        case keepaliveTimeout = "keepalive_timeout"
        /// The client pinged more often than ``ConnectionManagement/minClientPingInterval`` allows.
        case tooManyPings = "too_many_pings"
        /// The connection was refused: ``ConnectionManagement/maxConnections`` were open.
        case connectionLimit = "connection_limit"

        init(_ expiry: ConnectionKeeper.Expiry) {
            self.init(rawValue: expiry.rawValue)!
        }
    }

    /// Why a stream was reset.
    public enum ResetCause: String, Sendable, CaseIterable {
        /// The client reset the stream (a cancelled call).
        case client
        /// The server refused the stream: too many handlers running on the connection.
        case refused
        /// The call's deadline passed after the response had started.
        case deadline
        /// The server cancelled the stream at the end of the shutdown grace period.
        case shutdown
        /// The server cancelled the stream at the end of the connection's ``ConnectionManagement/maxAgeGrace``.
        case maxAge = "max_age"
    }

    private let factory: any MetricsFactory
    private let methods = Mutex<[String: MethodMetrics]>([:])
    let connectionsOpen: Meter
    let streamsOpen: Meter
    private let goaways: [Counter]
    private let resets: [Counter]

    /// Metrics on `factory` (default: the process-wide `MetricsSystem` factory).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        connectionsOpen = Meter(label: "weft_http2_connections_open", dimensions: [], factory: factory)
        streamsOpen = Meter(label: "weft_http2_streams_open", dimensions: [], factory: factory)
        goaways = GoawayCause.allCases.map {
            Counter(label: "weft_http2_goaways_total", dimensions: [("cause", $0.rawValue)], factory: factory)
        }
        resets = ResetCause.allCases.map {
            Counter(label: "weft_http2_resets_total", dimensions: [("cause", $0.rawValue)], factory: factory)
        }
    }

    func goaway(_ cause: GoawayCause) {
        goaways[GoawayCause.allCases.firstIndex(of: cause)!].increment()
    }

    func reset(_ cause: ResetCause) {
        resets[ResetCause.allCases.firstIndex(of: cause)!].increment()
    }

    /// The metrics of one method, created on its first call.
    func method(_ descriptor: MethodDescriptor) -> MethodMetrics {
        methods.withLock { methods in
            if let found = methods[descriptor.path] { return found }
            let created = MethodMetrics(descriptor: descriptor, factory: factory)
            methods[descriptor.path] = created
            return created
        }
    }
}

/// One method's metrics, shared by every connection. Handled counters are created per status on first use.
final class MethodMetrics: Sendable {
    let started: Counter
    let handling: CoreMetrics.Timer
    private let dimensions: [(String, String)]
    private let factory: any MetricsFactory
    private let handled: Mutex<[Counter?]>

    init(descriptor: MethodDescriptor, factory: any MetricsFactory) {
        let type: String
        switch descriptor.kind {
        case .unary: type = "unary"
        case .serverStreaming: type = "server_stream"
        case .clientStreaming: type = "client_stream"
        case .bidirectionalStreaming: type = "bidi_stream"
        }
        let dimensions = [("grpc_service", descriptor.service), ("grpc_method", descriptor.method), ("grpc_type", type)]
        self.dimensions = dimensions
        self.factory = factory
        started = Counter(label: "grpc_server_started_total", dimensions: dimensions, factory: factory)
        handling = CoreMetrics.Timer(label: "grpc_server_handling_seconds", dimensions: dimensions, factory: factory)
        handled = Mutex(Array(repeating: nil, count: MethodMetrics.codeNames.count))
    }

    /// The handled counter of `code`.
    func handled(_ code: StatusCode) -> Counter {
        handled.withLock { counters in
            if let counter = counters[code.rawValue] { return counter }
            let counter = Counter(
                label: "grpc_server_handled_total",
                dimensions: dimensions + [("grpc_code", MethodMetrics.codeNames[code.rawValue])], factory: factory)
            counters[code.rawValue] = counter
            return counter
        }
    }

    /// grpc-go's names of the status codes, as go-grpc-prometheus labels them.
    static let codeNames = [
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
        "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
        "Internal", "Unavailable", "DataLoss", "Unauthenticated",
    ]
}

/// A connection's view of one method's metrics: confined to the connection's event loop, so the handled counter
/// of a status is looked up without a lock after its first use on the connection.
final class ConnectionMethodMetrics {
    let shared: MethodMetrics
    private var handled: [Counter?]

    init(_ shared: MethodMetrics) {
        self.shared = shared
        handled = Array(repeating: nil, count: MethodMetrics.codeNames.count)
    }

    func handled(_ code: StatusCode) -> Counter {
        if let counter = handled[code.rawValue] { return counter }
        let counter = shared.handled(code)
        handled[code.rawValue] = counter
        return counter
    }
}

/// One connection's metrics state, confined to its event loop: the calls in flight with their start times and
/// the methods seen on the connection.
///
/// Cheap on the hot path: the clock is read once per read burst for every call started in it, and once per
/// flush for every call ended since the previous one (so a call's handling time runs from the read burst that
/// started it to the flush after it ended); started and handled counters are incremented once per run of
/// calls of the same method (and status) between two flushes rather than once per call.
struct ConnectionMetrics {
    let server: ServerMetrics
    /// The methods seen on this connection; calls refer to them by index, which costs no reference counting.
    private var methods: [ConnectionMethodMetrics] = []
    private var indexByPath: [String: Int] = [:]
    private var lastPath: String?
    private var lastIndex = 0
    /// Streams the client reset on this connection.
    private(set) var clientResets = 0
    private var goawayCounted = false
    /// Calls started minus calls ended since the last ``publish()``: the streams-open gauge is updated once per
    /// flush rather than twice per call (under load the two cancel out within a read burst).
    private var streamsDelta = 0
    /// The start time of calls started since the last ``publish()``, read on the first of them.
    private var burstStart: UInt64?
    /// Calls started since the last publish, as a run of one method.
    private var startedRun: (method: Int, count: Int)?
    /// Calls ended since the last publish, recorded there with one clock read.
    private var ended: [(method: Int, start: UInt64, code: StatusCode)] = []

    init(server: ServerMetrics) {
        self.server = server
    }

    /// A routed call starts. `path` is the request's `:path`. The call's method and start time live on the
    /// stream itself, so ending it needs no lookup.
    mutating func started(stream: ServerStream, path: String, descriptor: MethodDescriptor) {
        let method: Int
        if lastPath == path {
            method = lastIndex
        } else if let found = indexByPath[path] {
            method = found
        } else {
            method = methods.count
            methods.append(ConnectionMethodMetrics(server.method(descriptor)))
            indexByPath[path] = method
        }
        lastPath = path
        lastIndex = method
        if let run = startedRun, run.method == method {
            startedRun = (method, run.count + 1)
        } else {
            flushStartedRun()
            startedRun = (method, 1)
        }
        streamsDelta += 1
        let start: UInt64
        if let burstStart {
            start = burstStart
        } else {
            start = NIODeadline.now().uptimeNanoseconds
            burstStart = start
        }
        stream.metricsCall = (method, start)
    }

    /// A call ends with `code`; nothing if it was not started or has already ended.
    mutating func handled(stream: ServerStream, code: StatusCode) {
        guard let call = stream.metricsCall else { return }
        stream.metricsCall = nil
        ended.append((call.method, call.start, code))
        streamsDelta -= 1
    }

    private mutating func flushStartedRun() {
        guard let run = startedRun else { return }
        methods[run.method].shared.started.increment(by: Int64(run.count))
        startedRun = nil
    }

    /// Records what changed since the last call: started and handled counters, handling times (one clock read)
    /// and the streams-open gauge. Called once per flush.
    mutating func publish() {
        flushStartedRun()
        burstStart = nil
        if !ended.isEmpty {
            let now = NIODeadline.now().uptimeNanoseconds
            var runCount = 0
            for index in ended.indices {
                let call = ended[index]
                methods[call.method].shared.handling.recordNanoseconds(Int64(truncatingIfNeeded: now &- call.start))
                runCount += 1
                let next = index + 1 < ended.count ? ended[index + 1] : nil
                if let next, next.method == call.method, next.code == call.code { continue }
                methods[call.method].handled(call.code).increment(by: Int64(runCount))
                runCount = 0
            }
            ended.removeAll(keepingCapacity: true)
        }
        guard streamsDelta != 0 else { return }
        if streamsDelta > 0 {
            server.streamsOpen.increment(by: Double(streamsDelta))
        } else {
            server.streamsOpen.decrement(by: Double(-streamsDelta))
        }
        streamsDelta = 0
    }

    mutating func reset(_ cause: ServerMetrics.ResetCause) {
        if cause == .client { clientResets += 1 }
        server.reset(cause)
    }

    /// Counts the connection's GOAWAY once: the first cause seen wins.
    mutating func goaway(_ cause: ServerMetrics.GoawayCause) {
        guard !goawayCounted else { return }
        goawayCounted = true
        server.goaway(cause)
    }
}
