/// Turns texts into L2-normalized vectors whose dot product is their cosine similarity.
///
/// Implementations: ``HashingEmbedder`` (built in, deterministic, no model) and ``HTTPEmbedder`` (an
/// OpenAI-compatible `/v1/embeddings` endpoint). The `modelID` is part of every entry's namespace, so vectors of
/// different models are never compared.
public protocol Embedder: Sendable {
    /// Identifies the model and its version; part of the cache namespace (`"weft-hash-v1-384"`, `"openai:NAME"`).
    var modelID: String { get }

    /// The length of every vector `embed` returns.
    var dimensions: Int { get }

    /// One L2-normalized vector of `dimensions` floats per text, in order. A text with no features may give the
    /// zero vector (similarity 0 to everything).
    ///
    /// Throws ``EmbedderError`` (or, for other implementations, any error) when no vectors can be made; the cache
    /// turns that into a miss and a warning.
    func embed(_ texts: [String]) async throws -> [[Float]]
}
