import Foundation
import WeftEngine

/// (b) Makespan: random layered DAGs simulated in virtual time under EAGER and BATCH, against the lower bound.
struct MakespanBenchmark {
    let dags: Int
    let seed: UInt64
    let maxParallel: Int

    func run() throws -> [String: Any] {
        var report: [String: Any] = ["dags": dags, "seed": Int(seed), "max_parallel": maxParallel]
        for (offset, model) in LayeredDAG.DurationModel.allCases.enumerated() {
            report[model.rawValue] = try run(model: model, seed: seed &+ UInt64(offset) &* 1_000_003)
        }
        report["anomaly_search"] = try searchAnomalies(seed: seed &+ 99)
        return report
    }

    /// Workflow-sized DAGs rarely show EAGER losing, so small ones (6–12 tasks, 2 slots) are searched for the
    /// anomaly, to count it and show one.
    private func searchAnomalies(seed: UInt64, dags: Int = 20_000, maxParallel: Int = 2) throws -> [String: Any] {
        var random = SplitMix64(seed: seed)
        var losses = 0
        var worst: (ratio: Double, dag: LayeredDAG, index: Int)?
        for index in 0..<dags {
            let dag = try LayeredDAG.random(model: .lognormal, tasks: 6...12, using: &random)
            let eager = EventSimulator.run(dag, mode: .eager, maxParallel: maxParallel).makespan
            let batch = EventSimulator.run(dag, mode: .batch, maxParallel: maxParallel).makespan
            if eager > batch * (1 + 1e-9) { losses += 1 }
            if eager / batch > (worst?.ratio ?? 1) { worst = (eager / batch, dag, index) }
        }
        var result: [String: Any] = [
            "dags": dags, "tasks": "6-12", "max_parallel": maxParallel, "eager_loses": losses,
            "worst_ratio": worst?.ratio ?? 1,
        ]
        if let worst {
            let why = explain(worst.dag, maxParallel: maxParallel)
            result["worst_example"] = ["dag": worst.index, "tasks": worst.dag.graph.count, "why": why]
            print("anomaly search: EAGER loses on \(losses)/\(dags) small DAGs, worst \(format(worst.ratio)): \(why)")
        }
        return result
    }

    private func run(model: LayeredDAG.DurationModel, seed: UInt64) throws -> [String: Any] {
        var random = SplitMix64(seed: seed)
        var ratios: [Double] = []
        var eagerToBound: [Double] = []
        var batchToBound: [Double] = []
        var worst: (ratio: Double, dag: LayeredDAG, index: Int)?
        for index in 0..<dags {
            let dag = try LayeredDAG.random(model: model, using: &random)
            let eager = EventSimulator.run(dag, mode: .eager, maxParallel: maxParallel).makespan
            let batch = EventSimulator.run(dag, mode: .batch, maxParallel: maxParallel).makespan
            let bound = dag.lowerBound(maxParallel: maxParallel)
            let ratio = eager / batch
            ratios.append(ratio)
            eagerToBound.append(eager / bound)
            batchToBound.append(batch / bound)
            if ratio > (worst?.ratio ?? 0) { worst = (ratio, dag, index) }
        }
        let losses = ratios.filter { $0 > 1 + 1e-9 }
        var result: [String: Any] = [
            "eager_over_batch_mean": mean(ratios),
            "eager_over_batch_median": ratios.sorted()[ratios.count / 2],
            "eager_over_batch_best": ratios.min() ?? 0,
            "eager_over_batch_worst": ratios.max() ?? 0,
            "eager_loses": losses.count,
            "eager_loses_by_more_than_5_percent": ratios.filter { $0 > 1.05 }.count,
            "eager_loss_mean_when_losing": losses.isEmpty ? 0 : mean(losses),
            "eager_over_lower_bound_mean": mean(eagerToBound),
            "eager_over_lower_bound_worst": eagerToBound.max() ?? 0,
            "batch_over_lower_bound_mean": mean(batchToBound),
        ]
        if let worst, worst.ratio > 1 {
            let example = explain(worst.dag, maxParallel: maxParallel)
            result["worst_example"] = ["dag": worst.index, "tasks": worst.dag.graph.count, "why": example]
            print("\(model.rawValue): worst EAGER/BATCH \(format(worst.ratio)) on DAG #\(worst.index): \(example)")
        }
        print(
            "\(model.rawValue): EAGER/BATCH mean \(format(mean(ratios))), worst \(format(ratios.max() ?? 0)), "
                + "EAGER loses \(losses.count)/\(dags); EAGER/bound mean \(format(mean(eagerToBound))), "
                + "BATCH/bound mean \(format(mean(batchToBound)))"
        )
        return result
    }

    /// Why EAGER finished later: follows EAGER's critical chain back from the last task to the first time a task
    /// was ready but found every slot taken (Graham's list-scheduling anomaly: a greedy start of ready work delays a
    /// task on the critical path), and compares with BATCH.
    private func explain(_ dag: LayeredDAG, maxParallel: Int) -> String {
        let eager = EventSimulator.run(dag, mode: .eager, maxParallel: maxParallel)
        let batch = EventSimulator.run(dag, mode: .batch, maxParallel: maxParallel)
        let graph = dag.graph
        let name = { (task: Int) in
            "\(graph.tasks[task].id) (priority \(graph.priorities[task]), \(Int(dag.durations[task])) ms)"
        }
        var task = eager.finish.indices.max { eager.finish[$0] < eager.finish[$1] }!
        var waits: [String] = []
        while true {
            let ready = graph.dependencies[task].map { eager.finish[$0] }.max() ?? 0
            if eager.start[task] > ready + 1e-9 {
                let held = eager.start.indices.filter { other in
                    other != task && eager.start[other] <= ready && eager.finish[other] > ready
                }
                let preferred = eager.start.indices.filter { other in
                    eager.start[other] > ready && eager.start[other] < eager.start[task]
                }.sorted { eager.start[$0] < eager.start[$1] }
                let readyAt = { (other: Int) in graph.dependencies[other].map { eager.finish[$0] }.max() ?? 0 }
                let later = preferred.filter { readyAt($0) > ready + 1e-9 }
                waits.append(
                    "\(name(task)) was ready at \(Int(ready)) ms with the slots held by "
                        + held.map(name).joined(separator: ", ")
                        + "; the slots freed meanwhile went to higher-priority "
                        + "tasks: "
                        + preferred.map {
                            "\(name($0)) at \(Int(eager.start[$0])) ms (ready since \(Int(readyAt($0))) ms)"
                        }
                        .joined(separator: ", ")
                        + ", so it started only at \(Int(eager.start[task])) ms. BATCH started it at "
                        + "\(Int(batch.start[task])) ms: it was cut into a batch of the ready set it belonged to, "
                        + "and such batches run before tasks that become ready later"
                        + (later.isEmpty ? "" : " (" + later.map { graph.tasks[$0].id }.joined(separator: ", ") + ")")
                )
                // The slot it got was freed by the task that finished when it started.
                guard
                    let freer = eager.finish.indices.first(where: { abs(eager.finish[$0] - eager.start[task]) < 1e-9 })
                else { break }
                task = freer
            } else if let latest = graph.dependencies[task].max(by: { eager.finish[$0] < eager.finish[$1] }) {
                task = latest
            } else {
                break
            }
        }
        let summary =
            "EAGER \(Int(eager.makespan)) ms vs BATCH \(Int(batch.makespan)) ms (lower bound "
            + "\(Int(dag.lowerBound(maxParallel: maxParallel))) ms, critical path \(Int(dag.criticalPath)) ms)"
        guard let first = waits.last else { return summary + "; EAGER's critical chain never waited for a slot" }
        return summary + ". Earliest slot wait on EAGER's critical chain: " + first
    }

    private func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}
