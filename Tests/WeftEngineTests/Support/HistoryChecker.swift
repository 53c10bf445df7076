import Testing
import WeftEngine

/// Checks one workflow's complete event history against its spec and its final snapshot: sequence numbers 1…N,
/// a valid order of every task's events (a task starts only after its dependencies completed, each attempt starts
/// after the previous one ended, a task is skipped only after a dependency failed or was skipped), BATCH events
/// framing their tasks, the terminal event last, and the snapshot agreeing with the events.
///
/// Tasks' inputs say what the `test` executor does (see ``ScriptedExecutor``): `flaky` fails its first attempt,
/// `broken` fails for good, anything else succeeds with `out-ID`. So the checker knows each task's expected end.
struct HistoryChecker {
    private enum Phase: Equatable {
        case waiting
        case running(attempt: Int)
        case backingOff(attempt: Int)
        case completed(attempt: Int)
        case failed(attempt: Int)
        case skipped
    }

    let workflowID: String
    let spec: WorkflowSpec
    let maxParallel: Int
    let mode: SchedulingMode

    /// What the run must end with for each task: failed (`broken`), skipped (downstream of a failure), or completed
    /// after 1 or 2 attempts (`flaky`).
    private func expectedPhases() -> [String: Phase] {
        var phases: [String: Phase] = [:]
        for task in spec.tasks {
            // Tasks only depend on earlier ones, so dependencies are decided already.
            let doomed = task.dependsOn.contains { dependency in
                switch phases[dependency] {
                case .failed, .skipped: true
                default: false
                }
            }
            phases[task.id] = switch (doomed, task.input) {
            case (true, _): .skipped
            case (false, "broken"): .failed(attempt: 1)
            case (false, "flaky"): .completed(attempt: 2)
            default: .completed(attempt: 1)
            }
        }
        return phases
    }

    func check(_ events: [WorkflowEvent], snapshot: WorkflowSnapshot) {
        let context = Comment(rawValue: "workflow \(workflowID)")
        #expect(events.map(\.sequence) == Array(1...UInt64(events.count)), context)
        #expect(events.allSatisfy { $0.workflowID == workflowID }, context)
        #expect(events.first?.payload.kind == "workflow_accepted", context)
        #expect(events.filter(\.payload.isTerminal).count == 1, context)
        #expect(events.last?.payload.isTerminal == true, context)
        #expect(events.allSatisfy { $0.progress.total == spec.tasks.count }, context)
        #expect(events.allSatisfy { $0.progress.running <= maxParallel }, context)
        let completedCounts = events.map(\.progress.completed)
        #expect(zip(completedCounts, completedCounts.dropFirst()).allSatisfy { $0 <= $1 }, context)

        let dependencies = Dictionary(uniqueKeysWithValues: spec.tasks.map { ($0.id, $0.dependsOn) })
        var phases = Dictionary(uniqueKeysWithValues: spec.tasks.map { ($0.id, Phase.waiting) })
        var outputs: [String: String] = [:]
        var failedOrder: [String] = []
        var openBatch: (index: Int, tasks: [String])?
        var nextBatch = 0

        for event in events {
            let here = Comment(rawValue: "workflow \(workflowID), event \(event.sequence): \(event.payload.summary)")
            switch event.payload {
            case .workflowAccepted(_, let count):
                #expect(event.sequence == 1 && count == spec.tasks.count, here)
            case .batchStarted(let index, let ids):
                #expect(mode == .batch && openBatch == nil && index == nextBatch, here)
                #expect(!ids.isEmpty && ids.count <= maxParallel, here)
                openBatch = (index, ids)
                nextBatch += 1
            case .taskStarted(let id, let attempt, _):
                let phase = phases[id]
                #expect(phase == (attempt == 1 ? .waiting : .backingOff(attempt: attempt - 1)), here)
                for dependency in dependencies[id] ?? [] {
                    guard case .completed = phases[dependency] else {
                        let problem = "started before its dependency \(dependency) completed"
                        Issue.record(Comment(rawValue: "\(problem) — \(here.rawValue)"))
                        continue
                    }
                }
                if mode == .batch { #expect(openBatch?.tasks.contains(id) == true, here) }
                phases[id] = .running(attempt: attempt)
            case .taskHeartbeat(let id, let attempt, _):
                #expect(phases[id] == .running(attempt: attempt), here)
            case .taskFailed(let id, let attempt, _, _, let willRetry, _):
                #expect(phases[id] == .running(attempt: attempt), here)
                phases[id] = willRetry ? .backingOff(attempt: attempt) : .failed(attempt: attempt)
                if !willRetry { failedOrder.append(id) }
            case .taskCompleted(let result):
                #expect(phases[result.taskID] == .running(attempt: result.attempt), here)
                phases[result.taskID] = .completed(attempt: result.attempt)
                outputs[result.taskID] = result.output
            case .taskSkipped(let id, let reason):
                #expect(phases[id] == .waiting, here)
                let blocked = (dependencies[id] ?? []).contains { dependency in
                    switch phases[dependency] {
                    case .failed, .skipped: true
                    default: false
                    }
                }
                #expect(blocked, here)
                #expect(reason.hasPrefix("dependency \""), here)
                phases[id] = .skipped
            case .batchCompleted(let index, let results):
                guard let batch = openBatch else {
                    Issue.record(Comment(rawValue: "batch_completed outside a batch — \(here.rawValue)"))
                    continue
                }
                #expect(index == batch.index, here)
                let completed = batch.tasks.filter { if case .completed = phases[$0] { true } else { false } }
                #expect(results.map(\.taskID) == completed, here)
                #expect(batch.tasks.allSatisfy { task in
                    switch phases[task] {
                    case .completed, .failed: true
                    default: false
                    }
                }, here)
                openBatch = nil
            case .workflowCompleted:
                #expect(failedOrder.isEmpty, here)
            case .workflowFailed(_, let failedTasks, _):
                #expect(failedTasks == failedOrder && !failedOrder.isEmpty, here)
            case .workflowCancelled:
                Issue.record(Comment(rawValue: "nothing cancels this workflow — \(here.rawValue)"))
            }
        }
        #expect(openBatch == nil, context)
        #expect(phases == expectedPhases(), context)

        // The snapshot agrees with the events.
        #expect(snapshot.status == (failedOrder.isEmpty ? .completed : .failed), context)
        let count = spec.tasks.count
        #expect(snapshot.progress == Progress(completed: count, total: count, running: 0), context)
        #expect(snapshot.tasks.map(\.taskID) == spec.tasks.map(\.id), context)
        for state in snapshot.tasks {
            let here = Comment(rawValue: "workflow \(workflowID), task \(state.taskID)")
            switch phases[state.taskID] {
            case .completed(let attempt):
                #expect(state.status == .completed && state.attempt == attempt, here)
                #expect(state.output == "out-\(state.taskID)" && outputs[state.taskID] == state.output, here)
            case .failed(let attempt):
                #expect(state.status == .failed && state.attempt == attempt && state.error == "broken", here)
            case .skipped:
                #expect(state.status == .skipped && state.attempt == 0, here)
            default:
                Issue.record(Comment(rawValue: "the task did not reach a final state — \(here.rawValue)"))
            }
        }
    }
}
