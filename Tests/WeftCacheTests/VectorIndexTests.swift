import Testing
import WeftCache

@Suite("VectorIndex")
struct VectorIndexTests {
    @Test("search matches brute force after random inserts, replacements and deletions in several namespaces")
    func bruteForce() {
        var random = SeededRandom(seed: 7)
        let dimensions = 37  // not a multiple of 8: exercises the row padding
        let index = VectorIndex(dimensions: dimensions)
        var truth: [String: [String: [Float]]] = [:]
        let namespaces = ["a", "b", "c"]
        for i in 0..<6000 {
            let namespace = namespaces[i % 3]
            let id = "id\(Int.random(in: 0..<5000, using: &random))"  // some ids repeat: replacement in place
            let vector = random.unitVector(dimensions)
            if truth.values.contains(where: { $0[id] != nil }), truth[namespace]?[id] == nil { continue }
            index.insert(id: id, vector: vector, namespace: namespace)
            truth[namespace, default: [:]][id] = vector
            if i % 4 == 3, let victim = truth[namespace]?.keys.randomElement(using: &random) {
                #expect(index.remove(id: victim, namespace: namespace))
                truth[namespace]?[victim] = nil
            }
        }
        #expect(index.count == truth.values.reduce(0) { $0 + $1.count })
        for namespace in namespaces {
            #expect(index.count(namespace: namespace) == truth[namespace]?.count)
            for _ in 0..<40 {
                let query = random.unitVector(dimensions)
                let expected = truth[namespace, default: [:]].map { (id: $0.key, score: referenceDot($0.value, query)) }
                    .sorted { $0.score > $1.score }
                let top1 = index.search(query, namespace: namespace, k: 1)
                #expect(top1.map(\.id) == [expected[0].id])
                #expect(abs(Double(top1[0].score) - expected[0].score) < 1e-5)
                let top5 = index.search(query, namespace: namespace, k: 5)
                #expect(top5.map(\.id) == expected.prefix(5).map(\.id))
            }
        }
        for namespace in namespaces {
            for (id, vector) in truth[namespace, default: [:]].prefix(20) {
                #expect(index.vector(id: id, namespace: namespace) == vector)
            }
        }
    }

    @Test("a search never leaves its namespace")
    func namespaceFilterInsideSearch() {
        let index = VectorIndex(dimensions: 4)
        index.insert(id: "go", vector: [1, 0, 0, 0], namespace: "go")
        index.insert(id: "py", vector: [0, 1, 0, 0], namespace: "python")
        #expect(index.search([1, 0, 0, 0], namespace: "python").map(\.id) == ["py"])
        #expect(index.search([1, 0, 0, 0], namespace: "rust").isEmpty)
    }

    @Test("expired rows are skipped by searches and removed by a sweep")
    func expiry() {
        let index = VectorIndex(dimensions: 4)
        index.insert(id: "best", vector: [1, 0, 0, 0], namespace: "n", expiresAt: 100)
        index.insert(id: "second", vector: [0.9, 0.1, 0, 0], namespace: "n", expiresAt: 200)
        #expect(index.search([1, 0, 0, 0], namespace: "n", now: 99).map(\.id) == ["best"])
        #expect(index.search([1, 0, 0, 0], namespace: "n", now: 100).map(\.id) == ["second"])
        #expect(index.search([1, 0, 0, 0], namespace: "n", k: 3, now: 150).map(\.id) == ["second"])
        #expect(index.search([1, 0, 0, 0], namespace: "n", now: 200).isEmpty)
        #expect(index.removeExpired(now: 150).map(\.id) == ["best"])
        #expect(index.count == 1)
        index.removeExpired(now: 500)
        #expect(index.count == 0)
        #expect(index.namespaces.isEmpty)
        index.insert(id: "again", vector: [1, 0, 0, 0], namespace: "n")
        #expect(index.search([1, 0, 0, 0], namespace: "n").map(\.id) == ["again"])
    }

    @Test("deleting across block boundaries keeps every row reachable")
    func blockBoundaries() {
        var random = SeededRandom(seed: 11)
        let index = VectorIndex(dimensions: 8)
        var vectors: [String: [Float]] = [:]
        for i in 0..<9000 {
            let vector = random.unitVector(8)
            vectors["r\(i)"] = vector
            index.insert(id: "r\(i)", vector: vector, namespace: "n")
        }
        for i in stride(from: 0, to: 9000, by: 2) {
            #expect(index.remove(id: "r\(i)", namespace: "n"))
            vectors["r\(i)"] = nil
        }
        #expect(!index.remove(id: "r0", namespace: "n"))
        #expect(index.count == 4500)
        for (id, vector) in vectors {
            guard index.vector(id: id, namespace: "n") == vector else {
                Issue.record("row \(id) lost or corrupted")
                return
            }
        }
        for (id, vector) in vectors.prefix(50) {
            #expect(index.search(vector, namespace: "n").first?.id == id)
        }
    }

    @Test("memory per entry at 384 dimensions stays under 2 KB")
    func memoryPerEntry() {
        var random = SeededRandom(seed: 3)
        let index = VectorIndex(dimensions: 384)
        let vector = random.unitVector(384)
        // Ids as the cache makes them: 16 hex digits, a colon, 64 hex digits.
        let hash = String(repeating: "0123456789abcdef", count: 4)
        for i in 0..<10_000 {
            index.insert(
                id: "\(String(hash.prefix(16))):\(String(hash.dropFirst(8)))\(i)",
                vector: vector,
                namespace: "n"
            )
        }
        let perEntry = index.bytesPerEntry
        #expect(perEntry >= 1536, "\(perEntry) bytes per entry")
        #expect(perEntry <= 2048, "\(perEntry) bytes per entry")
    }

    @Test("concurrent searches, inserts and removals stay consistent")
    func concurrency() async {
        let index = VectorIndex(dimensions: 16)
        var random = SeededRandom(seed: 5)
        let stable = (0..<200).map { _ in random.unitVector(16) }
        for (i, vector) in stable.enumerated() { index.insert(id: "stable\(i)", vector: vector, namespace: "n") }
        await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var random = SeededRandom(seed: UInt64(100 + worker))
                    var wrong = 0
                    for step in 0..<400 {
                        if worker % 2 == 0 {
                            let id = "w\(worker)-\(step)"
                            index.insert(id: id, vector: random.unitVector(16), namespace: "n")
                            if step % 3 == 0 { index.remove(id: id, namespace: "n") }
                        } else {
                            // A stable row is always its own nearest neighbour, whatever the writers do.
                            let target = Int.random(in: 0..<stable.count, using: &random)
                            let match = index.search(stable[target], namespace: "n").first
                            if match?.id != "stable\(target)" || (match?.score ?? 0) < 0.9999 { wrong += 1 }
                        }
                    }
                    return wrong
                }
            }
            var wrong = 0
            for await count in group { wrong += count }
            #expect(wrong == 0)
        }
        #expect(index.count == 200 + 4 * (400 - 134))
    }
}
