import Foundation
import WeftEngine

// Scheduler benchmarks for scripts/bench-scheduler: (a) overhead per task, (b) makespans in virtual time.
do {
    let allowed: Set<String> = ["tasks", "seed", "runs", "max-parallel", "dag", "json", "dags"]
    let arguments = try BenchArguments(Array(CommandLine.arguments.dropFirst()), allowed: allowed)
    switch arguments.command {
    case "overhead":
        let benchmark = OverheadBenchmark(
            tasks: arguments.int("tasks", default: 100_000),
            seed: UInt64(arguments.int("seed", default: 42)),
            runs: arguments.int("runs", default: 3),
            maxParallel: arguments.int("max-parallel", default: 5)
        )
        let report = try await benchmark.run(dagPath: arguments.string("dag", default: "out/bench-dag.json"))
        try BenchJSON.write(report, to: arguments.string("json", default: "out/bench-overhead.json"))
    case "makespan":
        let benchmark = MakespanBenchmark(
            dags: arguments.int("dags", default: 1000),
            seed: UInt64(arguments.int("seed", default: 7)),
            maxParallel: arguments.int("max-parallel", default: 5)
        )
        try BenchJSON.write(benchmark.run(), to: arguments.string("json", default: "out/bench-makespan.json"))
    default:
        throw BenchUsageError()
    }
} catch is BenchUsageError {
    FileHandle.standardError.write(Data((BenchUsageError.usage + "\n").utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("weft-bench: \(error)\n".utf8))
    exit(1)
}
