public import WeftMessages

/// The state behind `weft watch` on a terminal: a line for each finished task, failure and skip (printed once), and
/// a status region redrawn in place (progress bar, running tasks with attempt and elapsed time).
///
/// A value type with no I/O: ``apply(_:)`` takes events in order and returns the lines to print for good;
/// ``statusLines(nowUnixMs:width:maxLines:)`` renders the region for a moment; ``LiveScreen`` turns both into
/// escape sequences.
public struct LiveView: Sendable {
    private struct RunningTask: Sendable {
        var id: String
        var attempt: UInt32
        var startedUnixMs: UInt64
        var details: String
        var beatUnixMs: UInt64 = 0
    }

    private let colors: Bool
    private var idWidth = 10
    private var progress = Weft_V1_Progress()
    private var running: [RunningTask] = []
    private var firstUnixMs: UInt64?
    private var lastUnixMs: UInt64 = 0
    private var taskTimeMs: UInt64 = 0
    private var retries = 0
    private var skipped = 0
    /// The workflow_completed, workflow_failed or workflow_cancelled event, once seen.
    public private(set) var ending: Weft_V1_WorkflowEvent?

    /// A view; `colors` adds ANSI colours to the lines.
    public init(colors: Bool) {
        self.colors = colors
    }

    /// Takes the next event; returns the lines it adds above the status region.
    public mutating func apply(_ event: Weft_V1_WorkflowEvent) -> [String] {
        if firstUnixMs == nil { firstUnixMs = event.timeUnixMs }
        lastUnixMs = max(lastUnixMs, event.timeUnixMs)
        if let eventProgress = event.progress { progress = eventProgress }
        switch event.payload {
        case .workflowAccepted(let accepted):
            let ids = accepted.plan.flatMap { $0.tasks.map(\.taskID) }
            idWidth = min(max(idWidth, ids.map(\.count).max() ?? 0), 28)
            return [paint("workflow accepted: \(accepted.taskCount) tasks", ANSI.dim)]
        case .batchStarted(let batch):
            return [paint("── batch \(batch.index): \(batch.taskIds.joined(separator: ", "))", ANSI.dim)]
        case .taskStarted(let started):
            running.removeAll { $0.id == started.taskID }
            running.append(
                RunningTask(
                    id: started.taskID, attempt: started.attempt,
                    startedUnixMs: event.timeUnixMs, details: ""))
            return []
        case .taskHeartbeat(let heartbeat):
            if let index = running.firstIndex(where: { $0.id == heartbeat.taskID }) {
                running[index].details = heartbeat.details
                running[index].beatUnixMs = event.timeUnixMs
            }
            return []
        case .taskCompleted(let completed):
            let result = completed.result ?? Weft_V1_TaskResult()
            running.removeAll { $0.id == result.taskID }
            taskTimeMs += result.durationMs
            let attempt = result.attempt > 1 ? paint("  attempt \(result.attempt)", ANSI.yellow) : ""
            return [
                paint("✓", ANSI.green) + " " + TextFormat.pad(result.taskID, idWidth) + "  "
                    + TextFormat.pad(TextFormat.duration(ms: result.durationMs), 8) + "  "
                    + TextFormat.cache(result.cache) + attempt
            ]
        case .taskFailed(let failed):
            let startedAt = running.first { $0.id == failed.taskID }?.startedUnixMs
            running.removeAll { $0.id == failed.taskID }
            let after = startedAt.map { " after " + TextFormat.duration(ms: event.timeUnixMs &- $0) } ?? ""
            let error = failed.errorType.isEmpty ? failed.error : "\(failed.errorType): \(failed.error)"
            if failed.willRetry {
                retries += 1
                return [
                    paint("↻", ANSI.yellow) + " " + TextFormat.pad(failed.taskID, idWidth)
                        + "  attempt \(failed.attempt) failed\(after): \(error) "
                        + paint("(retry in \(TextFormat.duration(ms: failed.retryInMs)))", ANSI.dim)
                ]
            }
            return [
                paint("✗", ANSI.red) + " " + TextFormat.pad(failed.taskID, idWidth)
                    + paint("  failed for good on attempt \(failed.attempt)\(after): \(error)", ANSI.red)
            ]
        case .taskSkipped(let skippedTask):
            running.removeAll { $0.id == skippedTask.taskID }
            skipped += 1
            let text = "– " + TextFormat.pad(skippedTask.taskID, idWidth) + "  skipped: \(skippedTask.reason)"
            return [paint(text, ANSI.dim)]
        case .batchCompleted, nil:
            return []
        case .workflowCompleted, .workflowFailed, .workflowCancelled:
            running.removeAll()
            ending = event
            return []
        }
    }

    /// The status region at `nowUnixMs`: the progress bar, then one line per running task (at most `maxLines` in
    /// all), each cut to `width` characters so that none wraps.
    public func statusLines(nowUnixMs: UInt64, width: Int, maxLines: Int = 12) -> [String] {
        let total = max(progress.total, 1)
        let barWidth = max(10, min(30, width - 45))
        let filled = Int((Double(progress.completed) / Double(total) * Double(barWidth)).rounded(.down))
        let bar =
            paint(String(repeating: "█", count: filled), ANSI.green)
            + String(repeating: "░", count: max(0, barWidth - filled))
        let elapsed =
            ending == nil ? nowUnixMs &- (firstUnixMs ?? nowUnixMs) : lastUnixMs &- (firstUnixMs ?? lastUnixMs)
        var header = "[\(bar)] \(progress.completed)/\(progress.total)"
        if ending == nil { header += "  \(running.count) running" }
        header += "  " + TextFormat.duration(ms: ending == nil ? elapsed / 100 * 100 : elapsed)
        var lines = [header]
        let room = max(0, maxLines - 1)
        for task in running.prefix(running.count > room ? room - 1 : room) {
            var line =
                paint("▸", ANSI.cyan) + " " + TextFormat.pad(task.id, idWidth)
                + "  attempt \(task.attempt)  " + TextFormat.duration(ms: (nowUnixMs &- task.startedUnixMs) / 100 * 100)
            if let details = Self.heartbeatText(task.details) {
                // Heartbeat events are throttled by the server, so say when this one was sent.
                let at = TextFormat.duration(ms: (task.beatUnixMs &- task.startedUnixMs) / 100 * 100)
                line += paint("  heartbeat \(details) at \(at)", ANSI.dim)
            }
            lines.append(line)
        }
        if running.count > room, room > 0 {
            lines.append(paint("  … and \(running.count - room + 1) more", ANSI.dim))
        }
        return lines.map { TextFormat.truncate($0, width: max(1, width - 1)) }
    }

    /// The closing line once the workflow has ended: status, makespan, sum of task durations, speed-up, cache.
    public var summaryLine: String? {
        guard let ending else { return nil }
        var parts: [String]
        switch ending.payload {
        case .workflowCompleted(let completed):
            parts = [
                paint("COMPLETED", ANSI.bold + ANSI.green) + " in " + TextFormat.duration(ms: completed.durationMs),
                "sum of task durations " + TextFormat.duration(ms: completed.taskTimeMs),
            ]
            if completed.durationMs > 0 {
                parts.append(
                    "speed-up " + TextFormat.ratio(Double(completed.taskTimeMs) / Double(completed.durationMs)))
            }
            if let cache = completed.cache { parts.append("cache " + TextFormat.cacheSummary(cache)) }
        case .workflowFailed(let failed):
            parts = [
                paint("FAILED", ANSI.bold + ANSI.red) + " after "
                    + TextFormat.duration(ms: lastUnixMs &- (firstUnixMs ?? lastUnixMs))
                    + (failed.error.isEmpty ? "" : ": \(failed.error)"),
                "sum of task durations " + TextFormat.duration(ms: taskTimeMs),
            ]
            if !failed.failedTasks.isEmpty { parts.append("failed: " + failed.failedTasks.joined(separator: ", ")) }
            if let cache = failed.cache { parts.append("cache " + TextFormat.cacheSummary(cache)) }
        case .workflowCancelled(let cancelled):
            parts = [
                paint("CANCELLED", ANSI.bold + ANSI.yellow) + (cancelled.reason.isEmpty ? "" : ": \(cancelled.reason)")
            ]
        default:
            return nil
        }
        if retries > 0 { parts.append("\(retries) \(retries == 1 ? "retry" : "retries")") }
        if skipped > 0 { parts.append("\(skipped) skipped") }
        return parts.joined(separator: " · ")
    }

    /// A heartbeat's details as the view shows them: `{"progress":0.25}` as `25%`, other text as it is.
    static func heartbeatText(_ details: String) -> String? {
        guard !details.isEmpty else { return nil }
        if case .object(let members)? = try? JSONValue(parsing: details),
            case .number(let literal)? = members.first(where: { $0.key == "progress" })?.value,
            let fraction = Double(literal), (0...1).contains(fraction)
        {
            return "\(Int((fraction * 100).rounded()))%"
        }
        return details
    }

    private func paint(_ text: String, _ style: String) -> String {
        colors ? style + text + ANSI.reset : text
    }
}

/// Turns a ``LiveView``'s output into terminal writes: new lines are printed above the status region, which is
/// erased and redrawn each time.
public struct LiveScreen: Sendable {
    private var drawnLines = 0

    /// A screen with nothing drawn yet.
    public init() {}

    /// The text to write: erase the previous region, print `newLines`, draw `status` (lines must not wrap).
    public mutating func frame(newLines: [String], status: [String]) -> String {
        var out = drawnLines > 0 ? ANSI.up(drawnLines) + ANSI.clearToEnd : ""
        for line in newLines + status { out += line + "\n" }
        drawnLines = status.count
        return out
    }
}
