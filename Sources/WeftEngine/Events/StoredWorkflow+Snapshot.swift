extension StoredWorkflow {
    /// The snapshot of a workflow another process runs or ran, from what its store holds: tasks in the order and
    /// with the priorities of its DAG (expansions included), each in its last stored state (PENDING when no event
    /// has named it yet). A workflow whose terminal event is not stored yet reads as RUNNING once it has events
    /// past `workflow_accepted`. Cache time saved is not stored, so it reads as zero.
    func snapshot(config: EngineConfig) -> WorkflowSnapshot {
        let anyExecutor: (String) -> Bool = { _ in true }
        var order = accepted.spec.tasks.map { (id: $0.id, priority: 0) }
        if var graph = try? WorkflowValidator.validate(accepted.spec, config: config, isKnownExecutor: anyExecutor) {
            for expansion in expansions {
                guard let parent = graph.index(of: expansion.parentTaskID) else { continue }
                _ = try? graph.add(expansion.tasks, parent: parent, config: config, isKnownExecutor: anyExecutor)
            }
            order = zip(graph.tasks, graph.priorities).map { (id: $0.id, priority: $1) }
        }
        var cache = CacheSummary()
        var progress = Progress(total: order.count)
        let states = order.map { entry -> TaskState in
            var task = tasks[entry.id] ?? TaskState(taskID: entry.id)
            task.priority = entry.priority
            if task.status.isFinal { progress.completed += 1 }
            if task.status == .running || task.status == .retrying { progress.running += 1 }
            switch task.cache {
            case .reused: cache.reused += 1
            case .adapted: cache.adapted += 1
            case .miss: cache.missed += 1
            case .bypassed, nil: break
            }
            return task
        }
        let current = status == .pending && lastSequence > 1 ? WorkflowStatus.running : status
        return WorkflowSnapshot(
            workflowID: workflowID, status: current, description: accepted.spec.description, progress: progress,
            tasks: states, createdUnixMs: accepted.createdUnixMs, finishedUnixMs: finishedUnixMs,
            lastSequence: lastSequence, cache: cache)
    }
}

extension WorkflowSnapshot {
    /// The listing line of this snapshot.
    var summary: WorkflowSummary {
        WorkflowSummary(
            workflowID: workflowID, status: status, description: description, progress: progress,
            createdUnixMs: createdUnixMs)
    }
}
