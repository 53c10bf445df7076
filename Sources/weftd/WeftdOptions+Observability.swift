import ArgumentParser

/// The options of `weftd` for metrics and logs; each names its environment variable.
struct WeftdObservabilityOptions: ParsableArguments {
    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics on a plain HTTP/1.1 port (env WEFT_METRICS_LISTEN; default off).")
    var metricsListen: String?

    @Option(help: "Log line format: text or json, one JSON object per line (env WEFT_LOG_FORMAT; default text).")
    var logFormat: String?

    /// The log format from the flag or `WEFT_LOG_FORMAT`.
    func format(environment: [String: String]) throws -> LogFormat {
        let text = logFormat ?? environment["WEFT_LOG_FORMAT"] ?? "text"
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ValidationError("log format \"\(text)\" is not text or json")
        }
        return format
    }

    /// The metrics endpoint from the flag or `WEFT_METRICS_LISTEN`; `nil`: off.
    func metricsAddress(environment: [String: String]) throws -> (host: String, port: Int)? {
        guard let text = metricsListen ?? environment["WEFT_METRICS_LISTEN"], !text.isEmpty else { return nil }
        let (host, port) = try WeftdConfiguration.parseListen(text)
        return (host, port)
    }

    enum LogFormat: String {
        case text, json
    }
}
