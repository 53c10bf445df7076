/// The SIMD dot product under every similarity: four `SIMD8<Float>` accumulators over 32 floats per step (so the
/// multiply-adds of one step are independent), a scalar tail, then a tree sum of the lanes.
enum DotProduct {
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= count {
            let o = i &* 4
            acc0 +=
                ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            acc1 +=
                ra.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
            acc2 +=
                ra.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD8<Float>.self)
            acc3 +=
                ra.loadUnaligned(fromByteOffset: o &+ 96, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o &+ 96, as: SIMD8<Float>.self)
            i &+= 32
        }
        while i + 8 <= count {
            acc0 +=
                ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        var tail: Float = 0
        while i < count {
            tail += a[i] * b[i]
            i &+= 1
        }
        let lanes = (acc0 + acc1) + (acc2 + acc3)
        let four = lanes.lowHalf + lanes.highHalf
        let two = four.lowHalf + four.highHalf
        return (two[0] + two[1]) + tail
    }
}
