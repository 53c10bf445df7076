import WeftCache

/// A ``CacheEntry`` as the fields of a Redis hash, and back.
///
/// Numbers are decimal text, the embedding is its Float32 values little-endian (4 bytes each), the namespace is its
/// canonical form (its id is recomputed on reading, and checked against `namespace_id`).
enum CacheEntryCodec {
    enum Field {
        static let text = "text"
        static let namespace = "namespace"
        static let namespaceID = "namespace_id"
        static let textHash = "text_hash"
        static let modelID = "model_id"
        static let embedding = "embedding"
        static let result = "result"
        static let source = "source"
        static let originalDuration = "original_duration_ms"
        static let created = "created_ms"
        static let expires = "expires_ms"
    }

    /// `HSET key field value …` arguments (without the command and key).
    static func fields(of entry: CacheEntry) -> [RedisArgument] {
        [
            RedisArgument(Field.text), RedisArgument(entry.text),
            RedisArgument(Field.namespace), RedisArgument(entry.namespace.canonical),
            RedisArgument(Field.namespaceID), RedisArgument(entry.namespace.id),
            RedisArgument(Field.textHash), RedisArgument(entry.textHash),
            RedisArgument(Field.modelID), RedisArgument(entry.modelID),
            RedisArgument(Field.embedding), RedisArgument(littleEndianBytes(entry.embedding)),
            RedisArgument(Field.result), RedisArgument(entry.result),
            RedisArgument(Field.source), RedisArgument(entry.source),
            RedisArgument(Field.originalDuration), RedisArgument(milliseconds(entry.originalDuration)),
            RedisArgument(Field.created), RedisArgument(entry.createdAt),
            RedisArgument(Field.expires), RedisArgument(entry.expiresAt),
        ]
    }

    /// The entry in an `HGETALL` reply; nil for an empty reply (the key is gone) or a hash that is not a complete
    /// entry (written by something else, or by a future version).
    static func entry(id: String, from reply: RedisValue) -> CacheEntry? {
        guard let flat = reply.array, !flat.isEmpty, flat.count % 2 == 0 else { return nil }
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            guard let name = flat[index].string, let value = flat[index + 1].bytes else { return nil }
            fields[name] = value
        }
        func text(_ name: String) -> String? { fields[name].map { String(decoding: $0, as: UTF8.self) } }
        func number(_ name: String) -> Int64? { text(name).flatMap { Int64($0) } }
        guard let normalized = text(Field.text), let canonical = text(Field.namespace),
            let modelID = text(Field.modelID), let embeddingBytes = fields[Field.embedding],
            let embedding = floats(littleEndian: embeddingBytes), let result = text(Field.result),
            let createdAt = number(Field.created), let expiresAt = number(Field.expires)
        else { return nil }
        let namespace = CacheNamespace(canonical: canonical)
        if let storedID = text(Field.namespaceID), storedID != namespace.id { return nil }
        let textHash = text(Field.textHash) ?? CacheText(normalized: normalized).hash
        return CacheEntry(
            id: id,
            namespace: namespace,
            textHash: textHash,
            text: normalized,
            embedding: embedding,
            result: result,
            source: text(Field.source) ?? "",
            originalDuration: .milliseconds(number(Field.originalDuration) ?? 0),
            createdAt: createdAt,
            expiresAt: expiresAt,
            modelID: modelID
        )
    }

    static func littleEndianBytes(_ vector: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
        return bytes
    }

    static func floats(littleEndian bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        var vector: [Float] = []
        vector.reserveCapacity(bytes.count / 4)
        var index = 0
        while index < bytes.count {
            let bits =
                UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24
            vector.append(Float(bitPattern: bits))
            index += 4
        }
        return vector
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
