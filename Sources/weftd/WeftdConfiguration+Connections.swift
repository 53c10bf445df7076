import ArgumentParser
import WeftHTTP2
import WeftServer

extension WeftdConfiguration {
    /// Maps the connection-management options onto `config.transport`: a flag wins over its variable.
    func applyConnections(_ options: ConnectionOptions, to config: inout WeftServerConfig) throws {
        var connections = config.transport.connections
        connections.maxIdle = try optionalDuration(options.maxConnectionIdle, "WEFT_MAX_CONNECTION_IDLE", connections.maxIdle)
        connections.maxAge = try optionalDuration(options.maxConnectionAge, "WEFT_MAX_CONNECTION_AGE", connections.maxAge)
        connections.maxAgeGrace = try optionalDuration(
            options.maxConnectionAgeGrace, "WEFT_MAX_CONNECTION_AGE_GRACE", connections.maxAgeGrace, zeroIsOff: false)
        connections.keepaliveInterval = try optionalDuration(
            options.keepaliveInterval, "WEFT_KEEPALIVE_INTERVAL", connections.keepaliveInterval)
        connections.keepaliveTimeout =
            try duration(options.keepaliveTimeout, "WEFT_KEEPALIVE_TIMEOUT") ?? connections.keepaliveTimeout
        connections.minClientPingInterval = try optionalDuration(
            options.minClientPingInterval, "WEFT_MIN_CLIENT_PING_INTERVAL", connections.minClientPingInterval)
        connections.maxPingStrikes = try int(options.maxPingStrikes, "WEFT_MAX_PING_STRIKES") ?? connections.maxPingStrikes
        connections.maxConnections = try int(options.maxConnections, "WEFT_MAX_CONNECTIONS") ?? connections.maxConnections
        config.transport.connections = connections
        config.transport.maxRunningHandlersPerConnection =
            try int(options.maxHandlersPerConnection, "WEFT_MAX_HANDLERS_PER_CONNECTION")
            ?? config.transport.maxRunningHandlersPerConnection

        let problems = [
            (connections.keepaliveTimeout > .zero, "--keepalive-timeout must be positive"),
            (connections.maxPingStrikes >= 0, "--max-ping-strikes must not be negative"),
            (connections.maxConnections >= 1, "--max-connections must be at least 1"),
            (config.transport.maxRunningHandlersPerConnection >= 1, "--max-handlers-per-connection must be at least 1"),
        ]
        if let problem = problems.first(where: { !$0.0 }) { throw ValidationError(problem.1) }
    }

    /// A duration that `off` (and, when `zeroIsOff`, `0`) turns off; `current` when neither flag nor variable is set.
    private func optionalDuration(
        _ flag: String?, _ name: String, _ current: Duration?, zeroIsOff: Bool = true
    ) throws -> Duration? {
        guard let text = flag ?? environment[name] else { return current }
        if ["off", "none"].contains(text.lowercased()) { return nil }
        let value = try duration(text, name)
        return zeroIsOff && value == .zero ? nil : value
    }
}
