/// The built-in embedder: deterministic, no model, 384 dimensions (`modelID` `"weft-hash-v1-384"`).
///
/// A text is turned into five blocks of hashed features, each L2-normalized on its own, then summed with fixed
/// weights and normalized again, so the cosine of two texts is close to the weighted mean of the blocks' cosines:
///
/// | block | features | weight² |
/// |---|---|---|
/// | words | content-word unigrams after synonym folding and light stemming; *contrast words* count 2× | 0.50 |
/// | contrast signature | the sorted set of the text's contrast words, as one feature (in 8 hashed copies) | 0.20 |
/// | phrases | bigrams of consecutive content words (after folding) | 0.10 |
/// | spelling | character 3-, 4- and 5-grams of each content word as written (` login `) | 0.15 |
/// | fields | the `type` and `complexity` fields of a cache text (`"type|complexity|description"`) | 0.05 |
///
/// Each feature is hashed (FNV-1a 64 with a block seed, SplitMix64 finalizer) to one of 384 dimensions and a sign
/// (signed feature hashing: collisions cancel on average instead of adding up).
///
/// Why it looks like this — precision: a bag of n-grams rates "create user login endpoint" and "create user logout
/// endpoint" as near-identical (one short word differs, most character n-grams are shared), yet serving one for the
/// other is exactly the wrong answer users of semantic caches complain about. Two measures keep such pairs below the
/// adapt threshold (0.85):
/// - **contrast words** — the words whose swap changes what a task does: actions and their opposites
///   (create/delete/update/read, enable/disable, encrypt/decrypt, upload/download, grant/revoke, …),
///   login/logout/signup, negations (no/not/without), test and documentation, test kinds, client/server, programming
///   languages, frameworks, data stores, formats and protocols, and every token containing a digit. They weigh 2× in
///   the words block, and their *set* forms the contrast signature: two texts whose contrast words differ in any way
///   lose that whole block (0.20), however long the rest of the text they share — a long description with one
///   swapped contrast word still lands near 0.7;
/// - **synonym folding** — a small fixed table folds words that name the same thing onto one feature before
///   weighing (login/sign in/authenticate/authentication/auth; create/add/implement/build/write/make/generate;
///   delete/remove/drop/destroy; golang/go; postgresql/postgres; js/javascript; …), so paraphrases keep their high
///   similarity ("create user login endpoint" vs "create user authentication endpoint" ≈ 0.95).
///
/// Stop words (articles, most prepositions, "using", …) carry no features. Light stemming drops a plural `s`
/// (`tests` → `test`, not `status`, `class`, `redis`) and folds `-ies` to `-y`. Texts equal after normalization get
/// the same vector (similarity 1). Changing any table or weight changes vectors: bump the version in `modelID`, which
/// puts new entries in a new namespace.
public struct HashingEmbedder: Embedder {
    /// `"weft-hash-v1-384"`.
    public let modelID = "weft-hash-v1-384"
    /// 384.
    public let dimensions = 384

    /// The embedder (it has no settings: its vectors must be the same everywhere).
    public init() {}

    /// One vector per text; the zero vector for a text with no features.
    public func embed(_ texts: [String]) async throws -> [[Float]] { texts.map(vector) }

    /// The vector of `text` (synchronous; `embed` maps this over its input).
    public func vector(_ text: String) -> [Float] {
        let fields = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let description = fields.last ?? ""
        let header = fields.dropLast()

        var words = [Float](repeating: 0, count: dimensions)
        var signatureBlock = [Float](repeating: 0, count: dimensions)
        var phrases = [Float](repeating: 0, count: dimensions)
        var spelling = [Float](repeating: 0, count: dimensions)
        var fieldBlock = [Float](repeating: 0, count: dimensions)

        let tokens = HashingLexicon.tokens(TextNormalizer.normalize(description))
        let surface = tokens.filter { !HashingLexicon.isStopWord($0) }
        let canonical = HashingLexicon.canonicalize(tokens)
        for token in canonical {
            add(token, seed: Seed.words, weight: HashingLexicon.isContrast(token) ? 2 : 1, to: &words)
        }
        // The contrast signature: the sorted set of contrast words as one feature, spread over eight hashed
        // dimensions so that two different signatures almost never collide.
        let signature = Set(canonical.filter(HashingLexicon.isContrast)).sorted().joined(separator: " ")
        for copy in 0..<8 where !canonical.isEmpty {
            add("\(copy):\(signature)", seed: Seed.signature, weight: 1, to: &signatureBlock)
        }
        for (first, second) in zip(canonical, canonical.dropFirst()) {
            add("\(first) \(second)", seed: Seed.phrases, weight: 1, to: &phrases)
        }
        for word in surface {
            let characters = Array(" \(word) ".unicodeScalars)
            for n in 3...5 where characters.count >= n {
                for start in 0...(characters.count - n) {
                    var gram = String.UnicodeScalarView()
                    gram.append(contentsOf: characters[start..<(start + n)])
                    add(String(gram), seed: Seed.spelling, weight: 1, to: &spelling)
                }
            }
        }
        for (position, field) in header.enumerated() {
            for token in TextNormalizer.normalize(field).split(separator: " ") {
                add("\(position):\(token)", seed: Seed.fields, weight: 1, to: &fieldBlock)
            }
        }

        var output = [Float](repeating: 0, count: dimensions)
        let blocks = [
            (words, Weight.words), (signatureBlock, Weight.signature), (phrases, Weight.phrases),
            (spelling, Weight.spelling), (fieldBlock, Weight.fields),
        ]
        for (block, weight) in blocks {
            let unit = Similarity.normalized(block)
            let scale = Float(weight.squareRoot())
            for i in 0..<dimensions { output[i] += scale * unit[i] }
        }
        return Similarity.normalized(output)
    }

    private enum Seed {
        static let words: UInt64 = 0x5745_4654_0001
        static let phrases: UInt64 = 0x5745_4654_0002
        static let spelling: UInt64 = 0x5745_4654_0003
        static let fields: UInt64 = 0x5745_4654_0004
        static let signature: UInt64 = 0x5745_4654_0005
    }

    /// Squared block weights (they sum to 1).
    private enum Weight {
        static let words = 0.50
        static let signature = 0.20
        static let phrases = 0.10
        static let spelling = 0.15
        static let fields = 0.05
    }

    private func add(_ feature: String, seed: UInt64, weight: Float, to block: inout [Float]) {
        let hash = FeatureHash.hash(feature, seed: seed)
        let index = Int(hash % UInt64(dimensions))
        block[index] += (hash >> 63) == 0 ? weight : -weight
    }
}
