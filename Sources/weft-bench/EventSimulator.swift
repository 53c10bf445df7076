import WeftEngine

/// Runs a ``Scheduler`` in virtual time: a discrete-event loop over the running tasks' completion times. No task
/// fails; the scheduler sees exactly what the engine's driver would feed it.
struct EventSimulator {
    /// When each task started and finished, and when the last one finished.
    struct Run {
        var start: [Double]
        var finish: [Double]
        var makespan: Double
    }

    static func run(_ dag: LayeredDAG, mode: SchedulingMode, maxParallel: Int) -> Run {
        var scheduler = Scheduler(graph: dag.graph, mode: mode, maxParallel: maxParallel)
        let count = dag.graph.count
        var start = [Double](repeating: .nan, count: count)
        var finish = [Double](repeating: .nan, count: count)
        // At most maxParallel completions are pending: a linear scan is the fastest "heap" at that size.
        var pending: [(time: Double, task: Int)] = []
        var now = 0.0

        func handle(_ events: [SchedulerEvent]) {
            for case .start(let task) in events {
                start[task] = now
                pending.append((now + dag.durations[task], task))
            }
        }
        handle(scheduler.start())
        while !pending.isEmpty {
            var first = 0
            for index in pending.indices.dropFirst()
            where (pending[index].time, pending[index].task) < (pending[first].time, pending[first].task) {
                first = index
            }
            let (time, task) = pending.remove(at: first)
            now = time
            finish[task] = time
            handle(scheduler.succeeded(task))
        }
        precondition(scheduler.isFinished && !finish.contains { $0.isNaN }, "simulation left tasks unfinished")
        return Run(start: start, finish: finish, makespan: now)
    }
}
