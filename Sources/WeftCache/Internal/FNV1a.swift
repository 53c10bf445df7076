/// FNV-1a 64 with a SplitMix64 finalizer: the feature hash of ``HashingEmbedder``. Stable across processes and
/// machines (unlike `Hasher`); the finalizer spreads FNV's weak low bits before they pick a dimension and a sign.
enum FeatureHash {
    static func hash(_ text: Substring.UTF8View, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in text {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return mix(h)
    }

    static func hash(_ text: String, seed: UInt64) -> UInt64 { hash(Substring(text).utf8, seed: seed) }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
