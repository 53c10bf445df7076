import Synchronization
import WeftCache
import WeftRedis

/// Entries, stores and warning capture for the Redis cache store tests.
enum CacheFixtures {
    static let embedder = HashingEmbedder()

    static func namespace(_ language: String = "python") -> CacheNamespace {
        CacheNamespace(constraints: ["language": language], executor: "sim", modelID: embedder.modelID)
    }

    static func now() -> Int64 { CacheClock.system.unixMilliseconds() }

    /// An entry for `text` in `namespace`, created now, living `ttl`.
    static func entry(
        _ text: String,
        in namespace: CacheNamespace = namespace(),
        result: String = "result",
        ttl: Duration = .seconds(60)
    ) -> CacheEntry {
        let cacheText = CacheText(normalized: text)
        let created = now()
        let (seconds, attoseconds) = ttl.components
        return CacheEntry(
            id: CacheKey(text: cacheText, namespace: namespace).id,
            namespace: namespace,
            textHash: cacheText.hash,
            text: cacheText.normalized,
            embedding: embedder.vector(text),
            result: result,
            source: "wf-1/task-1",
            originalDuration: .milliseconds(1234),
            createdAt: created,
            expiresAt: created + seconds * 1000 + attoseconds / 1_000_000_000_000_000,
            modelID: embedder.modelID
        )
    }

    /// Runs every store's `run()` while `body` runs, then cancels them.
    static func withRunning<Result>(
        _ stores: [RedisCacheStore],
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores {
                group.addTask { try await store.run() }
            }
            do {
                let result = try await body()
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

/// Collects a `SemanticCache`'s warnings.
final class WarningLog: Sendable {
    private let lines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0 } }

    var handler: @Sendable (String) -> Void {
        { [self] line in lines.withLock { $0.append(line) } }
    }
}
