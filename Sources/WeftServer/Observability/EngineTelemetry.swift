public import CoreMetrics
public import Logging
public import WeftEngine

/// The engine's metrics and logs: a swift-metrics and swift-log ``EngineObserver``.
///
/// Metrics: `weft_workflows_started_total`, `weft_workflows_running` (a meter), `weft_workflows_total{status}`,
/// `weft_workflow_duration_seconds{status}` (a timer), `weft_tasks_total{outcome=completed|failed|skipped|cancelled}`,
/// `weft_activity_attempts_total`, `weft_activity_retries_total`, `weft_activity_heartbeat_timeouts_total` and
/// `weft_scheduler_ready_tasks` (a meter: the ready queues of every running workflow).
///
/// Logs carry `workflow_id` (and `task_id` for a task) as metadata. Failure messages, which may quote a task's
/// input or output, are logged only at debug level; info and above name the error type alone.
public struct EngineTelemetry: EngineObserver {
    private struct Metrics: Sendable {
        let started: Counter
        let running: Meter
        let workflows: [WorkflowStatus: Counter]
        let durations: [WorkflowStatus: CoreMetrics.Timer]
        let tasks: [TaskStatus: Counter]
        let attempts: Counter
        let retries: Counter
        let heartbeatTimeouts: Counter
        let ready: Meter
    }

    private let metrics: Metrics?
    private let logger: Logger

    /// Logs to `logger`; with a `factory`, also measures on it (`nil`: logs only).
    public init(logger: Logger, factory: (any MetricsFactory)?) {
        self.logger = logger
        metrics = factory.map { factory in
            let finals: [WorkflowStatus] = [.completed, .failed, .cancelled]
            let outcomes: [TaskStatus] = [.completed, .failed, .skipped, .cancelled]
            return Metrics(
                started: Counter(label: "weft_workflows_started_total", dimensions: [], factory: factory),
                running: Meter(label: "weft_workflows_running", dimensions: [], factory: factory),
                workflows: Dictionary(uniqueKeysWithValues: finals.map {
                    ($0, Counter(label: "weft_workflows_total", dimensions: [("status", $0.label)], factory: factory))
                }),
                durations: Dictionary(uniqueKeysWithValues: finals.map {
                    ($0, CoreMetrics.Timer(
                        label: "weft_workflow_duration_seconds", dimensions: [("status", $0.label)], factory: factory))
                }),
                tasks: Dictionary(uniqueKeysWithValues: outcomes.map {
                    ($0, Counter(label: "weft_tasks_total", dimensions: [("outcome", $0.label)], factory: factory))
                }),
                attempts: Counter(label: "weft_activity_attempts_total", dimensions: [], factory: factory),
                retries: Counter(label: "weft_activity_retries_total", dimensions: [], factory: factory),
                heartbeatTimeouts: Counter(
                    label: "weft_activity_heartbeat_timeouts_total", dimensions: [], factory: factory),
                ready: Meter(label: "weft_scheduler_ready_tasks", dimensions: [], factory: factory))
        }
    }

    public func readyTasksChanged(workflowID: String, by delta: Int) {
        if delta > 0 {
            metrics?.ready.increment(by: Double(delta))
        } else {
            metrics?.ready.decrement(by: Double(-delta))
        }
    }

    public func workflowAccepted(workflowID: String, taskCount: Int) {
        metrics?.started.increment()
        metrics?.running.increment()
        logger.info("workflow accepted", metadata: ["workflow_id": "\(workflowID)", "tasks": "\(taskCount)"])
    }

    public func workflowFinished(workflowID: String, status: WorkflowStatus, duration: Duration) {
        if let metrics {
            metrics.running.decrement()
            metrics.workflows[status]?.increment()
            metrics.durations[status]?.recordNanoseconds(duration.nanosecondsClamped)
        }
        logger.info(
            "workflow finished",
            metadata: ["workflow_id": "\(workflowID)", "status": "\(status.label)", "duration": "\(duration)"])
    }

    public func attemptStarted(workflowID: String, taskID: String, attempt: Int) {
        metrics?.attempts.increment()
        logger.debug(
            "task attempt started", metadata: ["workflow_id": "\(workflowID)", "task_id": "\(taskID)", "attempt": "\(attempt)"])
    }

    public func attemptFailed(workflowID: String, taskID: String, attempt: Int, failure: ActivityFailure, willRetry: Bool) {
        let heartbeatTimeout = failure.type == "HeartbeatTimeout"
        if heartbeatTimeout { metrics?.heartbeatTimeouts.increment() }
        if willRetry { metrics?.retries.increment() }
        var metadata: Logger.Metadata = [
            "workflow_id": "\(workflowID)", "task_id": "\(taskID)", "attempt": "\(attempt)",
            "error_type": "\(failure.type)",
        ]
        if logger.logLevel <= .debug { metadata["error"] = "\(failure.message)" }
        if heartbeatTimeout {
            logger.warning("heartbeat timeout", metadata: metadata)
        }
        if willRetry {
            logger.info("task attempt failed, retrying", metadata: metadata)
        } else {
            logger.warning("task failed for good", metadata: metadata)
        }
    }

    public func taskFinished(workflowID: String, taskID: String, status: TaskStatus) {
        metrics?.tasks[status]?.increment()
    }
}

extension WorkflowStatus {
    /// The label value: the status in lower case, e.g. `completed`.
    fileprivate var label: String { rawValue.lowercased() }
}

extension TaskStatus {
    fileprivate var label: String { rawValue.lowercased() }
}

extension Duration {
    fileprivate var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ attoseconds / 1_000_000_000
    }
}
