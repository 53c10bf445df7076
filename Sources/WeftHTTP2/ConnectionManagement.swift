/// How the server manages the lifetime of its connections: idle and age limits, keepalive pings, the policy for
/// the client's pings and the cap on open connections. The names and defaults follow grpc-go's
/// `keepalive.ServerParameters` and `EnforcementPolicy`, except that the client ping policy is off by default
/// (a mesh proxy or a client pinging an idle connection every second is served, not disconnected).
public struct ConnectionManagement: Sendable {
    /// A connection with no open stream for this long gets a graceful GOAWAY (NO_ERROR, debug data `max_idle`)
    /// and is closed. `nil`: off. Default off.
    public var maxIdle: Duration?
    /// A connection older than this, ±10% jitter so that connections opened together do not all end together,
    /// gets a graceful GOAWAY (NO_ERROR, debug data `max_age`): the client opens a new one (load balancers
    /// re-balance). `nil`: off. Default off.
    public var maxAge: Duration?
    /// After the `max_age` GOAWAY, how long its streams may still run before they are cancelled and the
    /// connection closed. `nil`: as long as they need. Default 30 s.
    public var maxAgeGrace: Duration? = .seconds(30)
    /// When nothing has been read from a connection for this long, the server sends a PING. `nil`: off.
    /// Default 2 h (grpc-go's and grpc-core's default).
    public var keepaliveInterval: Duration? = .seconds(7200)
    /// How long the server waits for the ACK of its keepalive PING before it sends GOAWAY (NO_ERROR, debug data
    /// `keepalive_timeout`) and closes the connection. Default 20 s.
    public var keepaliveTimeout: Duration = .seconds(20)
    /// The shortest interval the client's PINGs may keep; each PING that comes sooner is a strike, and after
    /// more than ``maxPingStrikes`` the connection ends with GOAWAY ENHANCE_YOUR_CALM, debug data
    /// `too_many_pings` (grpc-core's policy). Strikes are forgiven whenever the server sends HEADERS or DATA.
    /// `nil`: any ping rate is accepted (nghttp2 still ends a connection whose PING ACKs pile up unread).
    /// Default off.
    public var minClientPingInterval: Duration?
    /// PINGs sooner than ``minClientPingInterval`` tolerated before the GOAWAY. Default 2, as in grpc-core.
    public var maxPingStrikes: Int = 2
    /// Connections open at once in this process. One more is accepted, sent SETTINGS and GOAWAY (NO_ERROR,
    /// last-stream-id 0, debug data `connection_limit`) and closed: nothing on it was processed, so clients
    /// retry elsewhere (gRPC clients see UNAVAILABLE). Default 10000.
    public var maxConnections: Int = 10_000

    public init() {}

    /// The documented defaults.
    public static var defaults: ConnectionManagement { ConnectionManagement() }
}
