import Testing
import WeftEngine

/// SplitMix64: a seeded generator, so every random run can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives schedulers over random DAGs with random completion orders, failures and META expansions, checking after
/// every transition what must always hold.
@Suite("Scheduler: invariants on random runs")
struct SchedulerInvariantTests {
    private enum Status { case pending, running, succeeded, failed, skipped }

    private static let types = ["", "security", "database", "api", "tests", "docs"]

    private func randomGraph(_ random: inout SeededGenerator) throws -> TaskGraph {
        let count = Int.random(in: 1...60, using: &random)
        var tasks: [TaskSpec] = []
        for index in 0..<count {
            var dependencies: Set<String> = []
            if index > 0 {
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    dependencies.insert("t\(Int.random(in: 0..<index, using: &random))")
                }
            }
            tasks.append(
                TaskSpec(
                    id: "t\(index)",
                    type: Self.types.randomElement(using: &random)!,
                    complexity: Complexity.allCases.randomElement(using: &random)!,
                    dependsOn: dependencies.sorted()
                )
            )
        }
        tasks.shuffle(using: &random)
        return try SchedulingFixtures.graph(tasks)
    }

    @Test(
        "Dependencies, priorities, slots, batches and skips hold on 300 random runs",
        arguments: SchedulingMode.allCases
    )
    func randomRuns(mode: SchedulingMode) throws {
        var random = SeededGenerator(state: mode == .eager ? 1 : 2)
        for _ in 0..<300 {
            try run(mode: mode, random: &random)
        }
    }

    /// Start order as one number: higher priority first, then lower index.
    private func key(_ graph: TaskGraph, _ task: Int) -> Int { graph.priorities[task] * 1_000_000 - task }

    private func run(mode: SchedulingMode, random: inout SeededGenerator) throws {
        let maxParallel = Int.random(in: 1...6, using: &random)
        let failureRate = Double.random(in: 0...0.3, using: &random)
        var scheduler = Scheduler(graph: try randomGraph(&random), mode: mode, maxParallel: maxParallel)
        var status = [Status](repeating: .pending, count: scheduler.graph.count)
        var running: [Int] = []
        var batch: (index: Int, tasks: [Int], open: Set<Int>)?
        var nextBatch = 0
        var expansions = 0

        func apply(_ events: [SchedulerEvent]) {
            let graph = scheduler.graph
            status += [Status](repeating: .pending, count: graph.count - status.count)
            var announced: [Int] = []
            var startedNow: [Int] = []
            for event in events {
                switch event {
                case .start(let task):
                    #expect(status[task] == .pending)
                    #expect(graph.dependencies[task].allSatisfy { status[$0] == .succeeded })
                    status[task] = .running
                    running.append(task)
                    startedNow.append(task)
                    if mode == .batch {
                        #expect(announced.first == task)
                        announced.removeFirst()
                    }
                case .batchStarted(let index, let tasks):
                    #expect(mode == .batch && batch == nil && index == nextBatch)
                    #expect(!tasks.isEmpty && tasks.count <= maxParallel)
                    #expect(zip(tasks, tasks.dropFirst()).allSatisfy { key(graph, $0) > key(graph, $1) })
                    nextBatch += 1
                    batch = (index, tasks, Set(tasks))
                    announced = tasks
                case .batchCompleted(let index, let tasks):
                    #expect(batch?.index == index && batch?.tasks == tasks && batch?.open.isEmpty == true)
                    batch = nil
                case .skipped(let task, let cause):
                    #expect(status[task] == .pending)
                    #expect(status[cause] == .failed)
                    #expect(dependsTransitively(graph, task, on: cause))
                    status[task] = .skipped
                }
            }
            #expect(announced.isEmpty)
            #expect(running.count == scheduler.runningCount && running.count <= maxParallel)
            let ready = graph.tasks.indices.filter { task in
                status[task] == .pending && graph.dependencies[task].allSatisfy { status[$0] == .succeeded }
            }
            // No task is left pending behind a failed dependency.
            for task in graph.tasks.indices where status[task] == .pending {
                #expect(!graph.dependencies[task].contains { status[$0] == .failed || status[$0] == .skipped })
            }
            switch mode {
            case .eager:
                // Work-conserving, and what started outranks what still waits.
                #expect(running.count == maxParallel || ready.isEmpty)
                if let weakest = startedNow.map({ key(graph, $0) }).min(),
                    let best = ready.map({ key(graph, $0) }).max()
                {
                    #expect(weakest > best)
                }
                #expect(zip(startedNow, startedNow.dropFirst()).allSatisfy { key(graph, $0) > key(graph, $1) })
            case .batch:
                #expect(running.isEmpty == (batch == nil))
                #expect(!running.isEmpty || ready.isEmpty)
            }
        }

        apply(scheduler.start())
        while !running.isEmpty {
            let task = running.remove(at: Int.random(in: 0..<running.count, using: &random))
            batch?.open.remove(task)
            if Double.random(in: 0..<1, using: &random) < failureRate {
                status[task] = .failed
                apply(scheduler.failed(task))
            } else if scheduler.graph.tasks[task].complexity == .meta && Bool.random(using: &random) {
                status[task] = .succeeded
                let existing = scheduler.graph.count
                var expansion: [TaskSpec] = []
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let dependency = scheduler.graph.tasks[Int.random(in: 0..<existing, using: &random)].id
                    expansion.append(TaskSpec(id: "e\(expansions)", complexity: .meta, dependsOn: [dependency]))
                    expansions += 1
                }
                apply(try scheduler.succeeded(task, expansion: expansion, config: EngineConfig()) { _ in true })
            } else {
                status[task] = .succeeded
                apply(scheduler.succeeded(task))
            }
        }
        #expect(scheduler.isFinished)
        #expect(batch == nil)
        #expect(!status.contains(.pending) && !status.contains(.running))
    }

    private func dependsTransitively(_ graph: TaskGraph, _ task: Int, on ancestor: Int) -> Bool {
        var stack = [task]
        var seen: Set<Int> = []
        while let next = stack.popLast() {
            for dependency in graph.dependencies[next] where seen.insert(dependency).inserted {
                if dependency == ancestor { return true }
                stack.append(dependency)
            }
        }
        return false
    }
}
