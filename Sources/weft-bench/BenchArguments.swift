/// `--name value` pairs after the subcommand; unknown names are an error, so typos do not pass silently.
struct BenchArguments {
    let command: String
    private var values: [String: String] = [:]

    init(_ arguments: [String], allowed: Set<String>) throws(BenchUsageError) {
        guard let command = arguments.first else { throw BenchUsageError() }
        self.command = command
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            guard name.hasPrefix("--"), allowed.contains(String(name.dropFirst(2))), let value = rest.popFirst() else {
                throw BenchUsageError()
            }
            values[String(name.dropFirst(2))] = value
        }
    }

    func int(_ name: String, default value: Int) -> Int { values[name].flatMap { Int($0) } ?? value }
    func string(_ name: String, default value: String) -> String { values[name] ?? value }
}

/// Wrong command line: the caller prints the usage.
struct BenchUsageError: Error {
    static let usage = """
        usage: weft-bench overhead [--tasks 100000] [--seed 42] [--runs 3] [--max-parallel 5]
                                   [--dag out/bench-dag.json] [--json out/bench-overhead.json]
               weft-bench makespan [--dags 1000] [--seed 7] [--max-parallel 5] [--json out/bench-makespan.json]
        """
}
