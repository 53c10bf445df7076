import Synchronization
import WeftCache

/// An embedder that returns fixed vectors for known texts (and a default vector for others).
struct TableEmbedder: Embedder {
    let modelID = "test-table-v1"
    let dimensions: Int
    let table: [String: [Float]]

    init(dimensions: Int = 4, table: [String: [Float]]) {
        self.dimensions = dimensions
        self.table = table
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            // Keyed by the description, the last field of the cache text.
            let description = String(text.split(separator: "|", omittingEmptySubsequences: false).last ?? "")
            return table[description] ?? [Float](repeating: 0, count: dimensions)
        }
    }
}

/// An embedder that always fails.
struct FailingEmbedder: Embedder {
    let modelID = "test-failing-v1"
    let dimensions = 4
    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw EmbedderError(.transport, "embedder is down")
    }
}

/// A store whose every operation fails.
struct FailingStore: CacheStore {
    func insert(_ entry: CacheEntry) async throws { throw CacheError(.unavailable, "store is down") }
    func entry(id: String, now: Int64) async throws -> CacheEntry? { throw CacheError(.unavailable, "store is down") }
    func nearest(to embedding: [Float], in namespace: CacheNamespace, now: Int64) async throws -> CacheCandidate? {
        throw CacheError(.unavailable, "store is down")
    }
    func remove(id: String) async throws -> Bool { throw CacheError(.unavailable, "store is down") }
    func count(now: Int64) async throws -> Int { throw CacheError(.unavailable, "store is down") }
    func entries(now: Int64) async throws -> [CacheEntry] { throw CacheError(.unavailable, "store is down") }
}

/// Virtual wall time for TTL tests: starts at a fixed epoch and moves only when told to.
final class ManualTime: Sendable {
    private let now: Mutex<Int64>
    init(_ start: Int64 = 1_700_000_000_000) { now = Mutex(start) }
    var milliseconds: Int64 { now.withLock { $0 } }
    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        now.withLock { $0 += seconds * 1000 + attoseconds / 1_000_000_000_000_000 }
    }
    var clock: CacheClock { CacheClock { self.milliseconds } }
}

/// A manual `Clock` (virtual time), to check that ``CacheClock`` follows any `Clock<Duration>`.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }
    func advance(by duration: Duration) { current.withLock { $0 = $0.advanced(by: duration) } }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        // Tests never sleep on this clock; advancing past the deadline is the caller's business.
    }
}

/// Deterministic random numbers (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A random unit vector.
    mutating func unitVector(_ dimensions: Int) -> [Float] {
        Similarity.normalized((0..<dimensions).map { _ in Float.random(in: -1...1, using: &self) })
    }
}

/// The reference dot product for brute-force checks (Double accumulation).
func referenceDot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

extension CacheQuery {
    /// A query with the test defaults: type api, MEDIUM, language python, executor sim.
    static func task(_ description: String, language: String = "python", executor: String = "sim") -> CacheQuery {
        CacheQuery(
            type: "api",
            complexity: "MEDIUM",
            description: description,
            constraints: ["language": language],
            executor: executor
        )
    }
}
