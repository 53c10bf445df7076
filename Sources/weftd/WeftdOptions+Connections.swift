import ArgumentParser

/// The connection-management options of `weftd`; each names its environment variable. Durations are seconds or a
/// number with ms, s, m or h; `off` turns an optional limit off.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "GOAWAY (max_idle) to a connection with no stream for this long (env WEFT_MAX_CONNECTION_IDLE; default off).")
    var maxConnectionIdle: String?

    @Option(help: "GOAWAY (max_age) to a connection this old, ±10% jitter (env WEFT_MAX_CONNECTION_AGE; default off).")
    var maxConnectionAge: String?

    @Option(help: "After the max_age GOAWAY, how long its calls may run before they are cancelled; off: unlimited (env WEFT_MAX_CONNECTION_AGE_GRACE; default 30s).")
    var maxConnectionAgeGrace: String?

    @Option(help: "Send a keepalive PING after this long without reading from a connection (env WEFT_KEEPALIVE_INTERVAL; default 2h; off).")
    var keepaliveInterval: String?

    @Option(help: "Close a connection whose keepalive PING is not acknowledged within this (env WEFT_KEEPALIVE_TIMEOUT; default 20s).")
    var keepaliveTimeout: String?

    @Option(help: "Shortest interval between a client's PINGs; sooner ones are strikes (env WEFT_MIN_CLIENT_PING_INTERVAL; default off: any rate).")
    var minClientPingInterval: String?

    @Option(help: "Early PINGs tolerated before GOAWAY ENHANCE_YOUR_CALM too_many_pings (env WEFT_MAX_PING_STRIKES; default 2).")
    var maxPingStrikes: Int?

    @Option(help: "Connections open at once; more are sent GOAWAY connection_limit and closed (env WEFT_MAX_CONNECTIONS; default 10000).")
    var maxConnections: Int?

    @Option(help: "Handlers running at once per connection; more streams are refused with REFUSED_STREAM (env WEFT_MAX_HANDLERS_PER_CONNECTION; default 2000).")
    var maxHandlersPerConnection: Int?
}
