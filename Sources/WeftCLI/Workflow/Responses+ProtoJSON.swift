public import WeftMessages

// What the server sends, written for `--json` output (proto3 JSON mapping, one object per line).

extension Weft_V1_SubmitWorkflowResponse: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("workflow_id", workflowID)
        writer.write("plan", plan)
        writer.write("deduplicated", deduplicated)
    }
}

extension Weft_V1_PlannedBatch: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("index", index)
        writer.write("tasks", tasks)
    }
}

extension Weft_V1_PlannedTask: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("task_id", taskID)
        writer.write("priority", priority)
    }
}

extension Weft_V1_Progress: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("completed", completed)
        writer.write("total", total)
        writer.write("running", running)
    }
}

extension Weft_V1_CacheHit: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("outcome", outcome)
        writer.write("similarity", similarity)
        writer.write("source_task", sourceTask)
    }
}

extension Weft_V1_CacheSummary: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("reused", reused)
        writer.write("adapted", adapted)
        writer.write("missed", missed)
        writer.write("time_saved_ms", timeSavedMs)
    }
}

extension Weft_V1_TaskResult: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("task_id", taskID)
        writer.write("output", output)
        writer.write("cache", cache)
        writer.write("attempt", attempt)
        writer.write("duration_ms", durationMs)
    }
}

extension Weft_V1_WorkflowEvent: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("sequence", sequence)
        writer.write("workflow_id", workflowID)
        writer.write("time_unix_ms", timeUnixMs)
        writer.write("progress", progress)
        switch payload {
        case .workflowAccepted(let value): writer.write("workflow_accepted", value)
        case .batchStarted(let value): writer.write("batch_started", value)
        case .taskStarted(let value): writer.write("task_started", value)
        case .taskHeartbeat(let value): writer.write("task_heartbeat", value)
        case .taskCompleted(let value): writer.write("task_completed", value)
        case .taskFailed(let value): writer.write("task_failed", value)
        case .taskSkipped(let value): writer.write("task_skipped", value)
        case .batchCompleted(let value): writer.write("batch_completed", value)
        case .workflowCompleted(let value): writer.write("workflow_completed", value)
        case .workflowFailed(let value): writer.write("workflow_failed", value)
        case .workflowCancelled(let value): writer.write("workflow_cancelled", value)
        case nil: break
        }
    }
}

extension Weft_V1_WorkflowAccepted: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("plan", plan)
        writer.write("task_count", taskCount)
    }
}

extension Weft_V1_BatchStarted: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("index", index)
        writer.write("task_ids", taskIds)
    }
}

extension Weft_V1_TaskStarted: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("task_id", taskID)
        writer.write("attempt", attempt)
        writer.write("executor", executor)
    }
}

extension Weft_V1_TaskHeartbeat: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("task_id", taskID)
        writer.write("attempt", attempt)
        writer.write("details", details)
    }
}

extension Weft_V1_TaskCompleted: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("result", result)
    }
}

extension Weft_V1_TaskFailed: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("task_id", taskID)
        writer.write("attempt", attempt)
        writer.write("error", error)
        writer.write("error_type", errorType)
        writer.write("will_retry", willRetry)
        writer.write("retry_in_ms", retryInMs)
    }
}

extension Weft_V1_TaskSkipped: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("task_id", taskID)
        writer.write("reason", reason)
    }
}

extension Weft_V1_BatchCompleted: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("index", index)
        writer.write("results", results)
    }
}

extension Weft_V1_WorkflowCompleted: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("duration_ms", durationMs)
        writer.write("task_time_ms", taskTimeMs)
        writer.write("cache", cache)
    }
}

extension Weft_V1_WorkflowFailed: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("error", error)
        writer.write("failed_tasks", failedTasks)
        writer.write("cache", cache)
    }
}

extension Weft_V1_WorkflowCancelled: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("reason", reason)
    }
}

extension Weft_V1_TaskState: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("task_id", taskID)
        writer.write("status", status)
        writer.write("attempt", attempt)
        writer.write("priority", priority)
        writer.write("output", output)
        writer.write("error", error)
        writer.write("cache", cache)
        writer.write("started_unix_ms", startedUnixMs)
        writer.write("finished_unix_ms", finishedUnixMs)
    }
}

extension Weft_V1_GetWorkflowResponse: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("workflow_id", workflowID)
        writer.write("status", status)
        writer.write("description", description)
        writer.write("progress", progress)
        writer.write("tasks", tasks)
        writer.write("created_unix_ms", createdUnixMs)
        writer.write("finished_unix_ms", finishedUnixMs)
        writer.write("last_sequence", lastSequence)
        writer.write("cache", cache)
    }
}

extension Weft_V1_CancelWorkflowResponse: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("status", status)
    }
}

extension Weft_V1_WorkflowSummary: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("workflow_id", workflowID)
        writer.write("status", status)
        writer.write("description", description)
        writer.write("progress", progress)
        writer.write("created_unix_ms", createdUnixMs)
    }
}

extension Weft_V1_ListWorkflowsResponse: ProtoJSONEncodable {
    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("workflows", workflows)
        writer.write("next_page_token", nextPageToken)
    }
}
