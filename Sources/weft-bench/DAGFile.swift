import Foundation
import WeftEngine

/// The overhead DAG as JSON for `scripts/bench_scheduler_baselines.py`: dependencies by index and priorities, so the
/// Python loops schedule exactly the graph the Swift scheduler did.
enum DAGFile {
    static func write(_ graph: TaskGraph, maxParallel: Int, seed: UInt64, to path: String) throws {
        var text = "{\"tasks\": \(graph.count), \"max_parallel\": \(maxParallel), \"seed\": \(seed),\n\"priority\": ["
        text += graph.priorities.map(String.init).joined(separator: ",")
        text += "],\n\"deps\": ["
        text += graph.dependencies.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",")
        text += "]}\n"
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
