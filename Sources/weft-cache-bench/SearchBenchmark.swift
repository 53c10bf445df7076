import Foundation
import WeftCache

/// Loads the first N vectors into a ``VectorIndex`` (one namespace) for each size and times k=1 searches.
struct SearchBenchmark {
    let arguments: BenchArguments

    func run() throws {
        let sizes = arguments.ints("sizes")
        let perSize = arguments.ints("queries-per-size")
        let largest = sizes.max() ?? 0
        let data = try NPY.read(arguments.string("vectors"), maxRows: largest)
        let queries = try NPY.read(arguments.string("query-file"))
        let dimensions = data.dimensions
        var results: [[String: Any]] = []

        for (position, size) in sizes.enumerated() {
            let queryCount = min(queries.rows, position < perSize.count ? perSize[position] : queries.rows)
            let index = VectorIndex(dimensions: dimensions)
            let insertStart = ContinuousClock.now
            for row in 0..<size {
                let vector = Array(data.values[(row * dimensions)..<((row + 1) * dimensions)])
                index.insert(id: "\(row)", vector: vector, namespace: "bench")
            }
            let insertTime = insertStart.duration(to: .now)

            let queryVectors = (0..<queryCount).map {
                Array(queries.values[($0 * dimensions)..<(($0 + 1) * dimensions)])
            }
            // Warm-up: one pass over the matrix, as faiss gets.
            _ = index.search(queryVectors[0], namespace: "bench")
            var latencies: [Double] = []
            var top1: [Int] = []
            let clock = ContinuousClock()
            for query in queryVectors {
                let start = clock.now
                let match = index.search(query, namespace: "bench")
                let elapsed = start.duration(to: clock.now)
                latencies.append(
                    Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6
                )
                top1.append(Int(match.first?.id ?? "-1") ?? -1)
            }
            let sorted = latencies.sorted()
            let result: [String: Any] = [
                "entries": size,
                "dimensions": dimensions,
                "queries": queryCount,
                "p50_us": percentile(sorted, 0.50),
                "p99_us": percentile(sorted, 0.99),
                "mean_us": latencies.reduce(0, +) / Double(latencies.count),
                "insert_us_per_entry":
                    (Double(insertTime.components.seconds) * 1e6
                    + Double(insertTime.components.attoseconds) / 1e12) / Double(size),
                "memory_bytes": index.memoryFootprint,
                "bytes_per_entry": index.bytesPerEntry,
                "top1": top1,
                "latencies_us": latencies,
            ]
            FileHandle.standardError.write(
                Data(
                    "swift  N=\(size): p50 \(String(format: "%.1f", percentile(sorted, 0.5))) µs, p99 \(String(format: "%.1f", percentile(sorted, 0.99))) µs, \(String(format: "%.0f", index.bytesPerEntry)) B/entry\n"
                        .utf8
                )
            )
            results.append(result)
        }
        let json = try JSONSerialization.data(
            withJSONObject: ["implementation": "weft VectorIndex", "results": results],
            options: [.prettyPrinted, .sortedKeys]
        )
        try json.write(to: URL(fileURLWithPath: arguments.string("json")))
    }

    /// Nearest-rank percentile of sorted values.
    func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}
