extension Scheduler {
    /// The plan `SubmitWorkflow` returns: the groups in which tasks would start if every task succeeded at once.
    ///
    /// BATCH: the batches, in order. EAGER: the waves — the tasks started together when all running tasks complete at
    /// the same instant (at most `maxParallel` each, by priority). Each task is listed with its priority. A META task's
    /// expansion is not known before it runs, so the plan covers the submitted tasks.
    public static func plan(graph: TaskGraph, mode: SchedulingMode, maxParallel: Int) -> [PlannedBatch] {
        var scheduler = Scheduler(graph: graph, mode: mode, maxParallel: maxParallel)
        var plan: [PlannedBatch] = []
        var events = scheduler.start()
        while true {
            let started = events.compactMap { event -> Int? in
                if case .start(let task) = event { return task }
                return nil
            }
            if started.isEmpty { return plan }
            let tasks = started.map { PlannedTask(taskID: graph.tasks[$0].id, priority: graph.priorities[$0]) }
            plan.append(PlannedBatch(index: plan.count, tasks: tasks))
            events = scheduler.succeeded(together: started)
        }
    }
}
