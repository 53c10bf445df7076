/// A ready task and its priority packed into one `Int64` whose order is the start order: higher priority first, and
/// among equal priorities the lower index (earlier submission) first. Comparing plain integers keeps the ready heap
/// and the batch sort free of closures and indirection.
enum ReadyKey {
    /// Index bits; graphs are far smaller than 2³² tasks (`EngineLimits.maxTasks`).
    private static let indexMask: Int64 = 0xFFFF_FFFF

    /// The key of `task` with `priority` (clamped to 32 bits, far beyond any weights' reach).
    @inline(__always)
    static func make(task: Int, priority: Int) -> Int64 {
        let clamped = Int64(min(max(priority, Int(Int32.min)), Int(Int32.max)))
        return (clamped << 32) | (indexMask - Int64(task))
    }

    /// The task of a key.
    @inline(__always)
    static func task(_ key: Int64) -> Int {
        Int(indexMask - (key & indexMask))
    }
}
