public import Prometheus

/// Where and what the Prometheus scrape endpoint serves (`--metrics-listen`).
public struct MetricsSettings: Sendable {
    /// Address of the plain HTTP/1.1 port serving `GET /metrics`.
    public var host: String
    /// Its port; 0 picks a free one.
    public var port: Int
    /// The registry the endpoint renders: the one behind the process's `PrometheusMetricsFactory`.
    public var registry: PrometheusCollectorRegistry

    public init(host: String, port: Int, registry: PrometheusCollectorRegistry) {
        self.host = host
        self.port = port
        self.registry = registry
    }
}
