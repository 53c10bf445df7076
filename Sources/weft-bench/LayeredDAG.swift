import Foundation
import WeftEngine

/// A random layered workflow for the makespan benchmark: 20–200 tasks in 2–12 layers, each task after the first
/// layer depending on one task of the layer before it and up to two of any earlier layer, with heavy-tailed durations
/// (virtual milliseconds) around the `sim` executor's defaults by complexity.
struct LayeredDAG {
    var graph: TaskGraph
    /// Virtual milliseconds per task, by graph index.
    var durations: [Double]

    /// How task durations are drawn around their complexity's `sim` default (200/400/800/1000 ms).
    enum DurationModel: String, CaseIterable {
        /// base × LogNormal(−σ²/2, σ = 1): mean `base`, a long right tail.
        case lognormal
        /// Pareto with α = 1.5 and mean `base`: infinite variance, a few huge tasks.
        case pareto

        func sample(base: Double, using random: inout SplitMix64) -> Double {
            switch self {
            case .lognormal:
                // Box–Muller.
                let normal = (-2 * log(random.unitOpen())).squareRoot() * cos(2 * Double.pi * random.unitOpen())
                return base * exp(normal - 0.5)
            case .pareto:
                let alpha = 1.5
                let scale = base * (alpha - 1) / alpha
                return scale / pow(random.unitOpen(), 1 / alpha)
            }
        }
    }

    private static let types = ["security", "auth", "database", "api", "tests", "frontend", "docs", ""]

    static func random(
        model: DurationModel,
        tasks: ClosedRange<Int> = 20...200,
        using random: inout SplitMix64
    ) throws -> LayeredDAG {
        let count = Int.random(in: tasks, using: &random)
        let layerCount = Int.random(in: 2...max(2, min(12, count / 2)), using: &random)
        // One task per layer first so that no layer is empty, the rest anywhere; then ordered by layer.
        var layerOf =
            Array(0..<layerCount) + (layerCount..<count).map { _ in Int.random(in: 0..<layerCount, using: &random) }
        layerOf.sort()
        var layers = [[Int]](repeating: [], count: layerCount)
        for (task, layer) in layerOf.enumerated() { layers[layer].append(task) }

        var specs: [TaskSpec] = []
        var durations: [Double] = []
        for task in 0..<count {
            let layer = layerOf[task]
            var dependencies: [Int] = []
            if layer > 0 {
                dependencies.append(layers[layer - 1].randomElement(using: &random)!)
                let earlier = layers[layer].first!  // the number of tasks in earlier layers
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    let extra = Int.random(in: 0..<earlier, using: &random)
                    if !dependencies.contains(extra) { dependencies.append(extra) }
                }
            }
            let roll = Double.random(in: 0..<1, using: &random)
            let complexity: Complexity = roll < 0.3 ? .simple : roll < 0.7 ? .medium : roll < 0.95 ? .complex : .meta
            specs.append(
                TaskSpec(
                    id: "t\(task)",
                    type: types.randomElement(using: &random)!,
                    complexity: complexity,
                    dependsOn: dependencies.map { "t\($0)" }
                )
            )
            durations.append(model.sample(base: baseDuration(complexity), using: &random))
        }
        let graph = try WorkflowValidator.validate(WorkflowSpec(tasks: specs), config: EngineConfig()) { _ in true }
        return LayeredDAG(graph: graph, durations: durations)
    }

    /// The `sim` executor's default duration by complexity, in milliseconds.
    static func baseDuration(_ complexity: Complexity) -> Double {
        switch complexity {
        case .simple: 200
        case .medium: 400
        case .complex: 800
        case .meta: 1000
        }
    }

    /// The longest dependency chain's total duration (indices are in dependency order by construction).
    var criticalPath: Double {
        var finish = [Double](repeating: 0, count: durations.count)
        for task in durations.indices {
            finish[task] = (graph.dependencies[task].map { finish[$0] }.max() ?? 0) + durations[task]
        }
        return finish.max() ?? 0
    }

    /// max(critical path, total work / maxParallel): no schedule can be shorter.
    func lowerBound(maxParallel: Int) -> Double {
        max(criticalPath, durations.reduce(0, +) / Double(maxParallel))
    }
}
