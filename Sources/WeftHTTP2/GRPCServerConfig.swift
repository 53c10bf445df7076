/// Limits and behaviour of the gRPC server transport. Every limit is explicit; `static var defaults` documents
/// the values used when nothing is configured.
public struct GRPCServerConfig: Sendable {
    /// Largest request message accepted, checked from the length prefix and again after decompression
    /// (RESOURCE_EXHAUSTED beyond it). Default 4 MiB, as in grpc-go and C-core.
    public var maxReceiveMessageSize: Int = 4 * 1024 * 1024
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised per connection. Default 1000.
    public var maxConcurrentStreams: Int = 1000
    /// SETTINGS_MAX_HEADER_LIST_SIZE advertised and enforced (name + value + 32 per field). Default 16 KiB.
    public var maxHeaderListSize: Int = 16 * 1024
    /// Handlers allowed to run at once on one connection, counting those whose stream was already reset
    /// and that have not yet finished. Streams beyond it are refused (REFUSED_STREAM). Default 2000.
    public var maxRunningHandlersPerConnection: Int = 2000
    /// Bytes a streaming response may queue before its producer waits for the reader. Default 256 KiB.
    public var outboundQueueLimit: Int = 256 * 1024
    /// Bytes of received requests a streaming handler may leave unread before the window is held. Default 1 MiB.
    public var inboundQueueLimit: Int = 1024 * 1024
    /// Per-stream flow-control window advertised to clients. Default 1 MiB.
    public var initialWindowSize: Int = 1024 * 1024
    /// Incoming RST_STREAM token bucket (rapid-reset defence): burst and refill per second. Exceeding it ends
    /// the connection with GOAWAY. Defaults 1000 and 100/s: above nghttp2's 33/s, since gRPC clients send a
    /// RST_STREAM for every cancelled call and for trailers that arrive before their own END_STREAM.
    public var streamResetBurst: Int = 1000
    public var streamResetRatePerSecond: Int = 100
    /// After the GOAWAY shutdown notice, how long to wait for the PING ACK before the final GOAWAY. Default 1 s.
    public var goawayNoticeTimeout: Duration = .seconds(1)
    /// The gRPC server metrics (``ServerMetrics``); `nil`: off, at no cost. Default `nil`.
    public var metrics: ServerMetrics?
    /// TLS on the port (ALPN `h2`, TLS 1.2+, optional mTLS); `nil`: plaintext h2c. Default `nil`.
    public var tls: TLSSettings?
    /// Idle and age limits, keepalive pings, the client ping policy and the connection cap.
    public var connections: ConnectionManagement = .defaults

    public init() {}

    /// The documented defaults.
    public static var defaults: GRPCServerConfig { GRPCServerConfig() }

    var sessionSettings: HTTP2SessionSettings {
        var settings = HTTP2SessionSettings()
        settings.maxConcurrentStreams = UInt32(clamping: maxConcurrentStreams)
        settings.maxHeaderListSize = UInt32(clamping: maxHeaderListSize)
        settings.initialWindowSize = UInt32(clamping: initialWindowSize)
        settings.streamResetBurst = UInt64(max(streamResetBurst, 1))
        settings.streamResetRatePerSecond = UInt64(max(streamResetRatePerSecond, 1))
        return settings
    }
}
