/// The Redis keys and channel of ``RedisCacheStore`` (documented in `docs/redis.md`).
///
/// With the default prefix `weft:cache`:
/// - `weft:cache:entry:{id}`: a hash per entry (fields in `docs/redis.md`), with a TTL;
/// - `weft:cache:key:{namespace_id}:{text_hash}`: a string holding the entry id, with the same TTL;
/// - `weft:cache:inserts`: the pub/sub channel announcing every insert.
public struct RedisCacheLayout: Sendable, Hashable {
    /// The common prefix of every key and of the channel. Default `weft:cache`.
    public var prefix: String

    /// A layout under `prefix` (tests and deployments sharing one Redis database may use their own).
    public init(prefix: String = "weft:cache") {
        self.prefix = prefix
    }

    /// The hash holding entry `id`.
    public func entryKey(id: String) -> String { "\(prefix):entry:\(id)" }

    /// The exact-match key of a normalized text in a namespace, holding the entry id.
    public func exactKey(namespaceID: String, textHash: String) -> String { "\(prefix):key:\(namespaceID):\(textHash)" }

    /// The channel on which every insert is announced.
    public var insertsChannel: String { "\(prefix):inserts" }

    /// The `SCAN MATCH` pattern of every entry hash. Glob metacharacters in the prefix are escaped.
    public var entryPattern: String { "\(Self.escapeGlob(prefix)):entry:*" }

    /// The entry id of an entry hash's key; nil for another key.
    func id(fromEntryKey key: String) -> String? {
        let head = "\(prefix):entry:"
        guard key.hasPrefix(head), key.count > head.count else { return nil }
        return String(key.dropFirst(head.count))
    }

    private static func escapeGlob(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
