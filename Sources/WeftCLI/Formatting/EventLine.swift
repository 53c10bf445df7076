public import WeftMessages

/// One line per event, for pipes and files: `seq=12 task_completed task=login attempt=1 duration=412ms
/// cache=BYPASSED progress=5/10`.
///
/// The kind is the oneof member's name; the other fields are `key=value` pairs (values quoted when they contain
/// spaces), so the lines are easy to grep and to split. Durations are in milliseconds with an `ms` suffix.
public enum EventLine {
    /// The line for an event, without a newline.
    public static func format(_ event: Weft_V1_WorkflowEvent) -> String {
        var fields = ["seq=\(event.sequence)", kind(of: event)]
        fields += details(of: event)
        fields.append(TextFormat.pair("progress", TextFormat.progress(event.progress)))
        return fields.joined(separator: " ")
    }

    /// The oneof member's .proto name, e.g. `task_completed`; `unknown` for a payload this client does not know.
    public static func kind(of event: Weft_V1_WorkflowEvent) -> String {
        switch event.payload {
        case .workflowAccepted: "workflow_accepted"
        case .batchStarted: "batch_started"
        case .taskStarted: "task_started"
        case .taskHeartbeat: "task_heartbeat"
        case .taskCompleted: "task_completed"
        case .taskFailed: "task_failed"
        case .taskSkipped: "task_skipped"
        case .batchCompleted: "batch_completed"
        case .workflowCompleted: "workflow_completed"
        case .workflowFailed: "workflow_failed"
        case .workflowCancelled: "workflow_cancelled"
        case nil: "unknown"
        }
    }

    private static func details(of event: Weft_V1_WorkflowEvent) -> [String] {
        switch event.payload {
        case .workflowAccepted(let accepted):
            return ["tasks=\(accepted.taskCount)", "batches=\(accepted.plan.count)"]
        case .batchStarted(let batch):
            return ["batch=\(batch.index)", TextFormat.pair("tasks", batch.taskIds.joined(separator: ","))]
        case .taskStarted(let started):
            var fields = [TextFormat.pair("task", started.taskID), "attempt=\(started.attempt)"]
            if !started.executor.isEmpty { fields.append(TextFormat.pair("executor", started.executor)) }
            return fields
        case .taskHeartbeat(let heartbeat):
            var fields = [TextFormat.pair("task", heartbeat.taskID), "attempt=\(heartbeat.attempt)"]
            if !heartbeat.details.isEmpty { fields.append(TextFormat.pair("details", heartbeat.details)) }
            return fields
        case .taskCompleted(let completed):
            let result = completed.result ?? Weft_V1_TaskResult()
            var fields = [
                TextFormat.pair("task", result.taskID), "attempt=\(result.attempt)", "duration=\(result.durationMs)ms",
                TextFormat.pair("cache", TextFormat.cache(result.cache)),
            ]
            if let source = result.cache?.sourceTask, !source.isEmpty {
                fields.append(TextFormat.pair("source", source))
            }
            return fields
        case .taskFailed(let failed):
            var fields = [TextFormat.pair("task", failed.taskID), "attempt=\(failed.attempt)"]
            if !failed.errorType.isEmpty { fields.append(TextFormat.pair("error_type", failed.errorType)) }
            fields.append(TextFormat.pair("error", failed.error))
            fields.append(failed.willRetry ? "retry_in=\(failed.retryInMs)ms" : "final=true")
            return fields
        case .taskSkipped(let skipped):
            return [TextFormat.pair("task", skipped.taskID), TextFormat.pair("reason", skipped.reason)]
        case .batchCompleted(let batch):
            return ["batch=\(batch.index)", "results=\(batch.results.count)"]
        case .workflowCompleted(let completed):
            return ["duration=\(completed.durationMs)ms", "task_time=\(completed.taskTimeMs)ms"]
                + cacheFields(completed.cache)
        case .workflowFailed(let failed):
            return [
                TextFormat.pair("error", failed.error),
                TextFormat.pair("failed", failed.failedTasks.joined(separator: ",")),
            ]
                + cacheFields(failed.cache)
        case .workflowCancelled(let cancelled):
            return [TextFormat.pair("reason", cancelled.reason)]
        case nil:
            return []
        }
    }

    private static func cacheFields(_ summary: Weft_V1_CacheSummary?) -> [String] {
        guard let summary else { return [] }
        return [
            "reused=\(summary.reused)", "adapted=\(summary.adapted)", "missed=\(summary.missed)",
            "saved=\(summary.timeSavedMs)ms",
        ]
    }
}
