import NIOCore

/// What a ``ConnectionKeeper`` asks of its connection.
protocol ConnectionKeeperDelegate: AnyObject {
    /// Streams open on the connection (finished ones whose close nghttp2 has not reported included).
    var openStreamCount: Int { get }
    /// Start the graceful GOAWAY sequence with `cause`.
    func keeperRequestsGoaway(_ cause: ConnectionKeeper.Expiry)
    /// Send a PING carrying ``ConnectionKeeper/keepalivePayload``.
    func keeperSendsPing()
    /// Cancel what is left and close (the age grace period is over).
    func keeperForcesClose()
}

/// The timers and ping accounting of one server connection, confined to its event loop: the idle limit, the
/// age limit with jitter and grace, keepalive pings and the client ping policy (``ConnectionManagement``).
///
/// Time is the event loop's (`EventLoop.now` and `scheduleTask`), so an `EmbeddedEventLoop` drives it in
/// virtual time. One timer per concern is outstanding at most; nothing here runs per stream except
/// ``streamsBecameEmpty()`` when an idle limit is set.
final class ConnectionKeeper {
    /// Why the keeper ends a connection; the raw value is the GOAWAY's debug data.
    enum Expiry: String {
        case idle = "max_idle"
        case maxAge = "max_age"
        case keepaliveTimeout = "keepalive_timeout"
        case tooManyPings = "too_many_pings"
    }

    /// The opaque data of the server's keepalive PINGs ("weftkeep"), told apart from the drain PING (zero).
    static let keepalivePayload: UInt64 = 0x7765_6674_6B65_6570

    private let settings: ConnectionManagement
    private let eventLoop: any EventLoop
    private unowned let delegate: any ConnectionKeeperDelegate
    private var idleTimer: Scheduled<Void>?
    private var idleSince: NIODeadline
    private var ageTimer: Scheduled<Void>?
    private var keepaliveTimer: Scheduled<Void>?
    private var keepaliveAwaitingAck = false
    /// Set by every read; the keepalive timer sends a PING only after an interval without one.
    var readSinceKeepalive = false
    private var lastClientPing: NIODeadline?
    private var pingStrikes = 0

    init(settings: ConnectionManagement, eventLoop: any EventLoop, delegate: any ConnectionKeeperDelegate) {
        self.settings = settings
        self.eventLoop = eventLoop
        self.delegate = delegate
        idleSince = eventLoop.now
    }

    /// Starts the timers; the connection starts idle.
    func start() {
        if let maxIdle = settings.maxIdle { scheduleIdleCheck(in: maxIdle) }
        if let maxAge = settings.maxAge {
            let jittered = Int64(Double(maxAge.nanoseconds) * Double.random(in: 0.9...1.1))
            ageTimer = schedule(in: .nanoseconds(jittered)) { $0.ageReached() }
        }
        if let interval = settings.keepaliveInterval { scheduleKeepalive(in: interval) }
    }

    /// Cancels every timer (the connection is closed).
    func stop() {
        idleTimer?.cancel()
        ageTimer?.cancel()
        keepaliveTimer?.cancel()
        idleTimer = nil
        ageTimer = nil
        keepaliveTimer = nil
    }

    /// The last open stream closed: the idle period starts now.
    func streamsBecameEmpty() {
        if settings.maxIdle != nil { idleSince = eventLoop.now }
    }

    // MARK: Idle

    private func scheduleIdleCheck(in delay: TimeAmount) {
        idleTimer = schedule(in: delay) { $0.checkIdle() }
    }

    private func scheduleIdleCheck(in delay: Duration) {
        scheduleIdleCheck(in: .nanoseconds(delay.nanoseconds))
    }

    private func checkIdle() {
        guard let maxIdle = settings.maxIdle else { return }
        let limit = TimeAmount.nanoseconds(maxIdle.nanoseconds)
        if delegate.openStreamCount > 0 {
            scheduleIdleCheck(in: limit)
            return
        }
        let due = idleSince + limit
        if due <= eventLoop.now {
            idleTimer = nil
            delegate.keeperRequestsGoaway(.idle)
        } else {
            scheduleIdleCheck(in: due - eventLoop.now)
        }
    }

    // MARK: Age

    private func ageReached() {
        ageTimer = nil
        delegate.keeperRequestsGoaway(.maxAge)
        if let grace = settings.maxAgeGrace {
            ageTimer = schedule(in: .nanoseconds(grace.nanoseconds)) { $0.delegate.keeperForcesClose() }
        }
    }

    // MARK: Keepalive (server PINGs)

    private func scheduleKeepalive(in interval: Duration) {
        keepaliveTimer = schedule(in: .nanoseconds(interval.nanoseconds)) { $0.keepaliveDue() }
    }

    private func keepaliveDue() {
        guard let interval = settings.keepaliveInterval else { return }
        if readSinceKeepalive {
            readSinceKeepalive = false
            scheduleKeepalive(in: interval)
            return
        }
        keepaliveAwaitingAck = true
        delegate.keeperSendsPing()
        keepaliveTimer = schedule(in: .nanoseconds(settings.keepaliveTimeout.nanoseconds)) { keeper in
            keeper.keepaliveTimer = nil
            keeper.delegate.keeperRequestsGoaway(.keepaliveTimeout)
        }
    }

    // MARK: PINGs received

    /// A PING frame arrived. Returns false when the client's pings broke the policy (too many strikes).
    func pingReceived(ack: Bool, payload: UInt64) -> Bool {
        if ack {
            if payload == Self.keepalivePayload && keepaliveAwaitingAck {
                keepaliveAwaitingAck = false
                keepaliveTimer?.cancel()
                readSinceKeepalive = false
                if let interval = settings.keepaliveInterval { scheduleKeepalive(in: interval) }
            }
            return true
        }
        guard let minimum = settings.minClientPingInterval else { return true }
        let now = eventLoop.now
        defer { lastClientPing = now }
        if let last = lastClientPing, now - last < .nanoseconds(minimum.nanoseconds) {
            pingStrikes += 1
            return pingStrikes <= settings.maxPingStrikes
        }
        return true
    }

    /// The server sent HEADERS or DATA: ping strikes are forgiven (grpc-core resets them the same way).
    @inline(__always)
    func forgiveStrikes() {
        pingStrikes = 0
    }

    private func schedule(in delay: TimeAmount, _ body: @escaping (ConnectionKeeper) -> Void) -> Scheduled<Void> {
        let bound = NIOLoopBound((keeper: self, body: body), eventLoop: eventLoop)
        return eventLoop.scheduleTask(in: delay) { bound.value.body(bound.value.keeper) }
    }
}
