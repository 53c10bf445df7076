extension VectorIndex {
    /// One namespace's rows: blocked Float32 matrix, ids, expiries and the id → row map.
    ///
    /// `@unchecked Sendable` because its mutable state is only touched under `lock`: shared for `search`, `vector`,
    /// `count` and `memoryFootprint`, exclusive for everything that writes.
    final class Partition: @unchecked Sendable {
        static let blockRows = 4096
        static let firstBlockRows = 16

        let dimensions: Int
        /// Floats per row: `dimensions` rounded up to a multiple of 8 (zero padding).
        let stride: Int
        private let lock = ReadWriteLock()
        private var blocks: [UnsafeMutableRawPointer] = []
        /// Row capacity of the last block (all earlier ones hold `blockRows`).
        private var lastBlockCapacity = 0
        private var ids: [String] = []
        private var expiries: [Int64] = []
        private var rowOf: [String: Int32] = [:]
        private var retired = false

        init(dimensions: Int) {
            self.dimensions = dimensions
            self.stride = (dimensions + 7) / 8 * 8
        }

        deinit {
            for block in blocks { block.deallocate() }
        }

        var count: Int { lock.withReadLock { ids.count } }

        /// Returns false (and does nothing) when the partition was retired.
        func insert(id: String, vector: [Float], expiresAt: Int64) -> Bool {
            lock.withWriteLock {
                if retired { return false }
                if let row = rowOf[id] {
                    write(vector, to: Int(row))
                    expiries[Int(row)] = expiresAt
                    return true
                }
                let row = ids.count
                reserveRow(row)
                write(vector, to: row)
                ids.append(id)
                expiries.append(expiresAt)
                rowOf[id] = Int32(row)
                return true
            }
        }

        /// Whether `id` was removed, and whether the partition is now empty.
        func remove(id: String) -> (removed: Bool, empty: Bool) {
            lock.withWriteLock {
                guard let row = rowOf[id] else { return (false, ids.isEmpty) }
                removeRow(Int(row))
                return (true, ids.isEmpty)
            }
        }

        func removeExpired(now: Int64) -> (ids: [String], empty: Bool) {
            lock.withWriteLock {
                var removed: [String] = []
                var row = 0
                while row < ids.count {
                    if expiries[row] <= now {
                        removed.append(ids[row])
                        removeRow(row)  // the last row moved here: look at this row again
                    } else {
                        row += 1
                    }
                }
                return (removed, ids.isEmpty)
            }
        }

        /// Marks the partition retired when it is empty, so that a racing insert goes to a fresh one.
        func retireIfEmpty() -> Bool {
            lock.withWriteLock {
                if ids.isEmpty { retired = true }
                return retired
            }
        }

        func vector(id: String) -> [Float]? {
            lock.withReadLock {
                guard let row = rowOf[id] else { return nil }
                let pointer = rowPointer(Int(row)).assumingMemoryBound(to: Float.self)
                return Array(UnsafeBufferPointer(start: pointer, count: dimensions))
            }
        }

        func search(_ query: [Float], k: Int, now: Int64) -> [Match] {
            // The query padded like the rows, so the kernel runs over whole SIMD steps.
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: stride)
            defer { padded.deallocate() }
            padded.initialize(repeating: 0, count: stride)
            query.withUnsafeBufferPointer { padded.update(from: $0.baseAddress!, count: dimensions) }

            return lock.withReadLock {
                k == 1 ? searchBest(padded, now: now) : searchTop(padded, k: k, now: now)
            }
        }

        var memoryFootprint: Int {
            lock.withReadLock {
                let rowBytes = stride * MemoryLayout<Float>.stride
                let blockBytes =
                    (blocks.isEmpty ? 0 : (blocks.count - 1) * Self.blockRows + lastBlockCapacity) * rowBytes
                // A String is 16 bytes inline; longer than 15 UTF-8 bytes it owns a heap buffer (32-byte header),
                // shared by the ids array and the map key.
                let idHeap = ids.reduce(0) { $0 + ($1.utf8.count > 15 ? ($1.utf8.count + 32 + 15) / 16 * 16 : 0) }
                let idArray = ids.capacity * MemoryLayout<String>.stride
                let expiryArray = expiries.capacity * MemoryLayout<Int64>.stride
                // Native dictionary: power-of-two buckets at most 3/4 full, key + value per bucket, 1 bit metadata.
                var buckets = 1
                while buckets * 3 / 4 < rowOf.capacity { buckets *= 2 }
                let map = buckets * (MemoryLayout<String>.stride + MemoryLayout<Int32>.stride) + buckets / 8
                return blockBytes + idHeap + idArray + expiryArray + map
            }
        }

        // MARK: - Under the lock

        private func searchBest(_ query: UnsafePointer<Float>, now: Int64) -> [Match] {
            var bestScore = -Float.infinity
            var bestRow = -1
            let rows = ids.count
            let rowFloats = stride
            var row = 0
            for block in blocks {
                let base = UnsafePointer(block.assumingMemoryBound(to: Float.self))
                let end = min(rows, row + Self.blockRows)
                var pointer = base
                while row < end {
                    let score = DotProduct.dot(pointer, query, count: rowFloats)
                    if score > bestScore, expiries[row] > now {
                        bestScore = score
                        bestRow = row
                    }
                    pointer += rowFloats
                    row += 1
                }
            }
            return bestRow < 0 ? [] : [Match(id: ids[bestRow], score: bestScore)]
        }

        private func searchTop(_ query: UnsafePointer<Float>, k: Int, now: Int64) -> [Match] {
            // Best first; a small sorted array beats a heap for the k (≤ tens) a cache asks for.
            var top: [(score: Float, row: Int)] = []
            top.reserveCapacity(k + 1)
            let rows = ids.count
            var row = 0
            for block in blocks {
                var pointer = UnsafePointer(block.assumingMemoryBound(to: Float.self))
                let end = min(rows, row + Self.blockRows)
                while row < end {
                    let score = DotProduct.dot(pointer, query, count: stride)
                    if top.count < k || score > top[top.count - 1].score, expiries[row] > now {
                        var position = top.count
                        while position > 0, top[position - 1].score < score { position -= 1 }
                        top.insert((score, row), at: position)
                        if top.count > k { top.removeLast() }
                    }
                    pointer += stride
                    row += 1
                }
            }
            return top.map { Match(id: ids[$0.row], score: $0.score) }
        }

        private func rowPointer(_ row: Int) -> UnsafeMutableRawPointer {
            blocks[row / Self.blockRows] + (row % Self.blockRows) * stride * MemoryLayout<Float>.stride
        }

        private func write(_ vector: [Float], to row: Int) {
            let destination = rowPointer(row).assumingMemoryBound(to: Float.self)
            vector.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: dimensions) }
        }

        /// Makes room for `row` (== count): grows the last block geometrically (so its slack stays below its used
        /// rows, and the copy below one block), or starts a new small one.
        private func reserveRow(_ row: Int) {
            let block = row / Self.blockRows
            let offset = row % Self.blockRows
            if block == blocks.count {
                let capacity = Self.firstBlockRows
                blocks.append(allocateBlock(rows: capacity))
                lastBlockCapacity = capacity
            } else if offset >= lastBlockCapacity {
                let capacity = min(Self.blockRows, lastBlockCapacity * 2)
                let grown = allocateBlock(rows: capacity)
                grown.copyMemory(
                    from: blocks[block],
                    byteCount: lastBlockCapacity * stride * MemoryLayout<Float>.stride
                )
                blocks[block].deallocate()
                blocks[block] = grown
                lastBlockCapacity = capacity
            }
        }

        private func allocateBlock(rows: Int) -> UnsafeMutableRawPointer {
            let bytes = rows * stride * MemoryLayout<Float>.stride
            let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            block.initializeMemory(as: Float.self, repeating: 0, count: rows * stride)
            return block
        }

        /// Swap-remove: the last row moves into `row`; an emptied last block is freed.
        private func removeRow(_ row: Int) {
            let last = ids.count - 1
            let removedID = ids[row]
            if row != last {
                rowPointer(row).copyMemory(from: rowPointer(last), byteCount: stride * MemoryLayout<Float>.stride)
                ids[row] = ids[last]
                expiries[row] = expiries[last]
                rowOf[ids[row]] = Int32(row)
            }
            ids.removeLast()
            expiries.removeLast()
            rowOf[removedID] = nil
            if last % Self.blockRows == 0 {
                blocks.removeLast().deallocate()
                lastBlockCapacity = blocks.isEmpty ? 0 : Self.blockRows
            }
        }
    }
}
