// weft-cache-bench: the Swift side of scripts/bench-cache.
//
//   weft-cache-bench generate --rows N --queries Q --dimensions D --seed S --vectors FILE.npy --query-file FILE.npy
//   weft-cache-bench search --vectors FILE.npy --query-file FILE.npy --sizes 10000,100000 --queries-per-size 1000,300
//                           --json OUT.json
//
// `generate` writes random unit vectors (Gaussian components, SplitMix64, fixed seed) as float32 .npy files so that
// faiss searches exactly the same data; `search` loads the first N rows into a VectorIndex for each size, times
// single k=1 searches, and reports p50/p99, memory per entry and every query's top-1 id (to check against faiss).
import Foundation
import WeftCache

let arguments = BenchArguments(CommandLine.arguments.dropFirst())
switch arguments.command {
case "generate":
    let dimensions = arguments.int("dimensions", default: 384)
    let seed = UInt64(arguments.int("seed", default: 42))
    var random = SplitMix64(seed: seed)
    let rows = arguments.int("rows", default: 100_000)
    let queries = arguments.int("queries", default: 1000)
    try NPY.writeUnitVectors(to: arguments.string("vectors"), rows: rows, dimensions: dimensions, random: &random)
    try NPY.writeUnitVectors(to: arguments.string("query-file"), rows: queries, dimensions: dimensions, random: &random)
case "search":
    try SearchBenchmark(arguments: arguments).run()
default:
    FileHandle.standardError.write(Data("usage: weft-cache-bench generate|search [options]\n".utf8))
    exit(2)
}
