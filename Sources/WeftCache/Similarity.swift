/// The cache's one similarity scale: cosine similarity in [−1, 1], the dot product of two L2-normalized vectors.
///
/// 1 is the same direction (an exact-key hit is reported as exactly 1), 0 unrelated, −1 opposite. The dot product is
/// computed in Float32 with eight independent SIMD lanes per accumulator and a final tree sum (rounding error below
/// about 1e-6 for unit vectors of a few hundred dimensions). It is then widened to Double through its shortest
/// decimal representation (`Double("\(float)")`), so the Float32 nearest to 0.95 reads as exactly 0.95 rather than
/// 0.949999988…, and clamped to [−1, 1]. Thresholds are compared in Double, inclusively (`similarity >= threshold`):
/// a similarity of exactly 0.95 reuses and exactly 0.85 adapts.
public enum Similarity {
    /// Widens a Float32 dot product onto the scale: shortest decimal, clamped to [−1, 1].
    public static func widen(_ score: Float) -> Double {
        guard score.isFinite else { return -1 }
        let clamped = min(max(score, -1), 1)
        return Double("\(clamped)") ?? Double(clamped)
    }

    /// The cosine similarity of two L2-normalized vectors of equal length (their dot product), widened.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "vectors of different lengths")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                widen(DotProduct.dot(pa.baseAddress!, pb.baseAddress!, count: a.count))
            }
        }
    }

    /// `vector` scaled to unit length; the zero vector stays zero.
    public static func normalized(_ vector: [Float]) -> [Float] {
        var sum: Double = 0
        for value in vector { sum += Double(value) * Double(value) }
        guard sum > 0, sum.isFinite else { return vector.map { _ in 0 } }
        let scale = Float(1 / sum.squareRoot())
        return vector.map { $0 * scale }
    }
}
