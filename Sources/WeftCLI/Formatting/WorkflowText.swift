import Foundation
public import WeftMessages

/// Text for people of the unary answers: a submission's plan, a workflow snapshot, a list of workflows.
public enum WorkflowText {
    /// The workflow id and the plan: one line per batch, each task with its priority, in the server's order;
    /// a batch's line wraps at `width` characters, continuation lines indented under its first task.
    public static func submission(_ response: Weft_V1_SubmitWorkflowResponse, width: Int = .max) -> [String] {
        let taskCount = response.plan.reduce(0) { $0 + $1.tasks.count }
        var lines = [
            "workflow \(response.workflowID)"
                + (response.deduplicated ? " (deduplicated: the request id matched an earlier submission)" : "")
        ]
        lines.append(
            "plan: \(taskCount) tasks in \(response.plan.count) \(response.plan.count == 1 ? "batch" : "batches") "
                + "(task priority in parentheses)")
        for batch in response.plan {
            let head = "  batch \(batch.index): "
            let indent = String(repeating: " ", count: head.count)
            var line = head
            for (index, task) in batch.tasks.enumerated() {
                let item = "\(task.taskID) (\(task.priority))" + (index < batch.tasks.count - 1 ? "," : "")
                if line.count > head.count && line.count + 1 + item.count > width {
                    lines.append(line)
                    line = indent + item
                } else {
                    line += (line.count > head.count ? " " : "") + item
                }
            }
            lines.append(line)
        }
        return lines
    }

    /// A snapshot: status, progress, timings and cache summary, then a table of the tasks.
    public static func snapshot(_ workflow: Weft_V1_GetWorkflowResponse) -> [String] {
        let progress = workflow.progress ?? Weft_V1_Progress()
        var lines = [
            "workflow     \(workflow.workflowID)",
            "status       \(workflow.status.shortName)  "
                + "\(progress.completed)/\(progress.total) done, \(progress.running) running",
        ]
        if !workflow.description.isEmpty { lines.append("description  \(workflow.description)") }
        var timing =
            "created      " + (workflow.createdUnixMs > 0 ? TextFormat.clock(unixMs: workflow.createdUnixMs) : "-")
        if workflow.finishedUnixMs > 0 {
            timing += "  finished " + TextFormat.clock(unixMs: workflow.finishedUnixMs)
            if workflow.createdUnixMs > 0 {
                timing += " (" + TextFormat.duration(ms: workflow.finishedUnixMs &- workflow.createdUnixMs) + ")"
            }
        }
        lines.append(timing + "  last event seq=\(workflow.lastSequence)")
        if let cache = workflow.cache { lines.append("cache        " + TextFormat.cacheSummary(cache)) }
        lines.append("")
        var rows = [["TASK", "STATUS", "ATTEMPT", "PRIORITY", "STARTED", "DURATION", "CACHE", "ERROR"]]
        for task in workflow.tasks {
            let started =
                task.startedUnixMs > 0 && workflow.createdUnixMs > 0
                ? "+" + TextFormat.duration(ms: task.startedUnixMs &- workflow.createdUnixMs) : "-"
            let duration =
                task.startedUnixMs > 0 && task.finishedUnixMs >= task.startedUnixMs
                ? TextFormat.duration(ms: task.finishedUnixMs - task.startedUnixMs)
                : (task.status == .running ? "running" : "-")
            rows.append([
                task.taskID, task.status.shortName, "\(task.attempt)", "\(task.priority)", started, duration,
                TextFormat.cache(task.cache), task.error.replacingOccurrences(of: "\n", with: " "),
            ])
        }
        return lines + table(rows)
    }

    /// A table of workflows, newest first as the server lists them.
    public static func list(_ response: Weft_V1_ListWorkflowsResponse) -> [String] {
        var rows = [["WORKFLOW", "STATUS", "PROGRESS", "CREATED", "DESCRIPTION"]]
        for workflow in response.workflows {
            rows.append([
                workflow.workflowID, workflow.status.shortName, TextFormat.progress(workflow.progress),
                dateTime(unixMs: workflow.createdUnixMs),
                workflow.description.replacingOccurrences(of: "\n", with: " "),
            ])
        }
        var lines = response.workflows.isEmpty ? ["no workflows"] : table(rows)
        if !response.nextPageToken.isEmpty { lines.append("more: --page-token \(response.nextPageToken)") }
        return lines
    }

    /// Rows aligned in columns two spaces apart; the last column is not padded, trailing empty cells are dropped.
    public static func table(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var cells = row
            while let last = cells.last, last.isEmpty { cells.removeLast() }
            return cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : TextFormat.pad(cell, widths[index])
            }.joined(separator: "  ")
        }
    }

    /// `2026-11-29 14:03:07` in local time; `-` for zero.
    static func dateTime(unixMs: UInt64) -> String {
        guard unixMs > 0 else { return "-" }
        let date = Date(timeIntervalSince1970: Double(unixMs) / 1000)
        let parts = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
            parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }
}
