import Foundation
import WeftEngine

/// (a) Scheduler overhead: a random DAG of no-op tasks (each depending on up to 3 earlier ones) driven to completion
/// with instant completions, in wall time per task. Also writes the DAG for the Python baselines.
struct OverheadBenchmark {
    let tasks: Int
    let seed: UInt64
    let runs: Int
    let maxParallel: Int

    /// Task types and complexities drawn for the DAG, so that priorities vary as in real workflows.
    private static let types = ["security", "database", "api", "tests", "frontend", "docs", ""]

    func run(dagPath: String) async throws -> [String: Any] {
        let specs = randomTasks()
        var config = EngineConfig()
        config.limits.maxTasks = max(config.limits.maxTasks, tasks)
        var graph: TaskGraph?
        let build = try median {
            graph = try WorkflowValidator.validate(WorkflowSpec(tasks: specs), config: config) { _ in true }
        }
        guard let graph else { return [:] }
        try DAGFile.write(graph, maxParallel: maxParallel, seed: seed, to: dagPath)
        let edges = graph.dependencies.reduce(0) { $0 + $1.count }

        var report: [String: Any] = [
            "tasks": tasks, "edges": edges, "seed": Int(seed), "max_parallel": maxParallel, "runs": runs,
            "validate_and_build_us_per_task": perTask(build),
        ]
        for mode in SchedulingMode.allCases {
            let name = mode.rawValue.lowercased()
            var completed = 0
            let sync = median { completed = Self.driveInline(graph, mode: mode, maxParallel: maxParallel) }
            precondition(completed == tasks, "\(mode): \(completed) of \(tasks) tasks completed")
            let grouped = await medianAsync {
                completed = await Self.driveTaskGroup(graph, mode: mode, maxParallel: maxParallel)
            }
            precondition(completed == tasks, "\(mode) task group: \(completed) of \(tasks) tasks completed")
            var batches = 0
            let plan = median { batches = Scheduler.plan(graph: graph, mode: mode, maxParallel: maxParallel).count }
            report["\(name)_us_per_task"] = perTask(sync)
            report["\(name)_task_group_us_per_task"] = perTask(grouped)
            report["\(name)_plan_us_per_task"] = perTask(plan)
            report["\(name)_plan_groups"] = batches
            print(
                "\(mode.rawValue): scheduler \(format(perTask(sync))) µs/task, with a task group "
                    + "\(format(perTask(grouped))) µs/task, plan \(format(perTask(plan))) µs/task (\(batches) groups)"
            )
        }
        print("validate + build graph: \(format(perTask(build))) µs/task (\(tasks) tasks, \(edges) edges)")
        return report
    }

    /// The caller's loop with instant completions: start what the scheduler says, complete each started task, feed
    /// back the result.
    @inline(never)
    static func driveInline(_ graph: TaskGraph, mode: SchedulingMode, maxParallel: Int) -> Int {
        var scheduler = Scheduler(graph: graph, mode: mode, maxParallel: maxParallel)
        var started: [Int] = []
        started.reserveCapacity(graph.count)
        var next = 0
        collectStarts(scheduler.start(), into: &started)
        while next < started.count {
            let task = started[next]
            next += 1
            collectStarts(scheduler.succeeded(task), into: &started)
        }
        precondition(scheduler.isFinished)
        return next
    }

    /// The same loop with every task a real (no-op) child task of a task group, as the engine runs activities.
    static func driveTaskGroup(_ graph: TaskGraph, mode: SchedulingMode, maxParallel: Int) async -> Int {
        var scheduler = Scheduler(graph: graph, mode: mode, maxParallel: maxParallel)
        return await withTaskGroup(of: Int.self) { group in
            func launch(_ events: [SchedulerEvent]) {
                for case .start(let task) in events { group.addTask { task } }
            }
            launch(scheduler.start())
            var completed = 0
            while let task = await group.next() {
                completed += 1
                launch(scheduler.succeeded(task))
            }
            return completed
        }
    }

    @inline(__always)
    private static func collectStarts(_ events: [SchedulerEvent], into started: inout [Int]) {
        for case .start(let task) in events { started.append(task) }
    }

    private func randomTasks() -> [TaskSpec] {
        var random = SplitMix64(seed: seed)
        var specs: [TaskSpec] = []
        specs.reserveCapacity(tasks)
        for index in 0..<tasks {
            var dependencies: [String] = []
            if index > 0 {
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    let dependency = "t\(Int.random(in: 0..<index, using: &random))"
                    if !dependencies.contains(dependency) { dependencies.append(dependency) }
                }
            }
            specs.append(
                TaskSpec(
                    id: "t\(index)",
                    type: Self.types.randomElement(using: &random)!,
                    complexity: Complexity.allCases.randomElement(using: &random)!,
                    dependsOn: dependencies
                )
            )
        }
        return specs
    }

    private func perTask(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1e6 + Double(attoseconds) * 1e-12) / Double(tasks)
    }

    private func median(_ body: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        var times: [Duration] = []
        for _ in 0..<max(1, runs) { times.append(try clock.measure(body)) }
        return times.sorted()[times.count / 2]
    }

    private func medianAsync(_ body: () async -> Void) async -> Duration {
        let clock = ContinuousClock()
        var times: [Duration] = []
        for _ in 0..<max(1, runs) {
            let start = clock.now
            await body()
            times.append(clock.now - start)
        }
        return times.sorted()[times.count / 2]
    }
}

/// `12.345` style.
func format(_ value: Double, digits: Int = 3) -> String {
    String(format: "%.\(digits)f", value)
}
