public import CoreMetrics
import Metrics

/// The cache's metrics through swift-metrics (exported by whatever backend the process bootstraps):
/// `weft_cache_lookups_total{outcome=reused|adapted|miss}`, `weft_cache_lookup_duration_seconds` (a timer, in
/// nanoseconds), `weft_cache_entries` (a gauge, updated after each store) and
/// `weft_cache_time_saved_seconds_total`.
public struct CacheMetrics: Sendable {
    let reused: Counter
    let adapted: Counter
    let missed: Counter
    let lookupDuration: CoreMetrics.Timer
    let entries: Gauge
    let timeSaved: FloatingPointCounter

    /// Metrics on `factory` (default: the process-wide `MetricsSystem` factory).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        let label = "weft_cache_lookups_total"
        reused = Counter(label: label, dimensions: [("outcome", "reused")], factory: factory)
        adapted = Counter(label: label, dimensions: [("outcome", "adapted")], factory: factory)
        missed = Counter(label: label, dimensions: [("outcome", "miss")], factory: factory)
        lookupDuration = CoreMetrics.Timer(label: "weft_cache_lookup_duration_seconds", dimensions: [], factory: factory)
        entries = Gauge(label: "weft_cache_entries", dimensions: [], factory: factory)
        timeSaved = FloatingPointCounter(label: "weft_cache_time_saved_seconds_total", dimensions: [], factory: factory)
    }
}
