/// A task's cache text: its type, complexity and description, each normalized by ``TextNormalizer`` and joined with
/// `"|"` (which normalization removes from every field, so the join is unambiguous), and the text's hash.
///
/// `"API", "MEDIUM", "Create user  login endpoint!"` → `"api|medium|create user login endpoint"`.
/// The hash is the lower-case hex SHA-256 of the text's UTF-8 bytes: identical in every process and on every machine.
public struct CacheText: Sendable, Hashable {
    /// The normalized text that is embedded and hashed.
    public let normalized: String
    /// Hex SHA-256 of `normalized` (64 characters).
    public let hash: String

    /// The cache text of a task. `complexity` is the complexity's name (`"SIMPLE"`, `"MEDIUM"`, …).
    public init(type: String, complexity: String, description: String) {
        self.init(
            normalized: [type, complexity, description].map(TextNormalizer.normalize).joined(separator: "|")
        )
    }

    /// A cache text that is already normalized (read back from a store).
    public init(normalized: String) {
        self.normalized = normalized
        self.hash = SHA256.hex(normalized)
    }
}
