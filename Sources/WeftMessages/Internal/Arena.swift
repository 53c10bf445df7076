/// Memory for the C structs that one encode builds: every string, array, nested message and byte buffer handed
/// to `protobuf_c_message_pack` lives here and is released together when the encode ends.
///
/// Allocation bumps a pointer through a buffer on the stack first (small messages, the common case, need nothing
/// else), then through heap chunks. Nothing is freed one by one and nothing outlives ``with(_:)``.
struct Arena: ~Copyable {
    /// Bytes of stack the arena starts with; enough for the hot messages (health checks, small payloads).
    /// `withUnsafeTemporaryAllocation` allocates this much on the stack on every platform.
    static let stackBytes = 1024
    /// The smallest heap chunk.
    static let chunkBytes = 8192
    /// Room at the start of a heap chunk for the link to the previous chunk; keeps the rest 16-byte aligned.
    private static let chunkHeaderBytes = 16

    private var next: UnsafeMutableRawPointer
    private var end: UnsafeMutableRawPointer
    /// The newest heap chunk; each chunk's first word points to the one before it.
    private var chunks: UnsafeMutableRawPointer?

    private init(_ buffer: UnsafeMutableRawBufferPointer) {
        // withUnsafeTemporaryAllocation gives a non-nil base address for a non-zero byte count.
        next = buffer.baseAddress!
        end = next + buffer.count
        chunks = nil
    }

    deinit {
        var chunk = chunks
        while let current = chunk {
            chunk = current.load(as: UnsafeMutableRawPointer?.self)
            current.deallocate()
        }
    }

    /// Runs `body` with an arena whose memory is released when `body` returns.
    static func with<Result>(_ body: (inout Arena) -> Result) -> Result {
        withUnsafeTemporaryAllocation(byteCount: stackBytes, alignment: 16) { buffer in
            var arena = Arena(buffer)
            return body(&arena)
        }
    }

    /// Uninitialized memory for `count` values of `T`, bound to `T`. `count` must be positive.
    mutating func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    /// Uninitialized, untyped memory.
    mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let start = next.alignedUp(toMultipleOf: alignment)
        if byteCount <= end - start {
            next = start + byteCount
            return start
        }
        return allocateInNewChunk(byteCount: byteCount, alignment: alignment)
    }

    private mutating func allocateInNewChunk(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let size = Self.chunkHeaderBytes + max(byteCount + alignment, Self.chunkBytes)
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        chunk.storeBytes(of: chunks, as: UnsafeMutableRawPointer?.self)
        chunks = chunk
        let start = (chunk + Self.chunkHeaderBytes).alignedUp(toMultipleOf: alignment)
        next = start + byteCount
        end = chunk + size
        return start
    }
}
