public import CoreMetrics
public import WeftEngine
import Synchronization

/// Worker-queue gauges from the broker's count changes: `weft_worker_queue_pending{queue}` (activities waiting for
/// a worker), `weft_worker_queue_pollers{queue}` (polls waiting for an activity) and `weft_worker_queue_running{queue}`
/// (activities held by workers). A queue that empties stays exported at 0.
public final class WorkerQueueMetrics: ActivityBrokerObserver {
    private struct Gauges {
        let pending: Meter
        let pollers: Meter
        let running: Meter
    }

    private let factory: any MetricsFactory
    private let gauges = Mutex<[String: Gauges]>([:])

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    public func queueChanged(_ stats: QueueStats) {
        let factory = factory
        let queue = gauges.withLock { gauges in
            if let existing = gauges[stats.queue] { return existing }
            let dimensions = [("queue", stats.queue)]
            let made = Gauges(
                pending: Meter(label: "weft_worker_queue_pending", dimensions: dimensions, factory: factory),
                pollers: Meter(label: "weft_worker_queue_pollers", dimensions: dimensions, factory: factory),
                running: Meter(label: "weft_worker_queue_running", dimensions: dimensions, factory: factory))
            gauges[stats.queue] = made
            return made
        }
        queue.pending.set(stats.pending)
        queue.pollers.set(stats.waitingPollers)
        queue.running.set(stats.running)
    }
}
