/// Ordered gRPC metadata (custom headers or trailers). Keys are lower-case; keys ending in `-bin` hold bytes.
public struct Metadata: Sendable, Hashable, Sequence {
    /// A metadata value: text for ordinary keys, bytes for `-bin` keys.
    public enum Value: Sendable, Hashable {
        case string(String)
        case binary([UInt8])
    }

    /// One entry.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value
    }

    private var entries: [Entry]

    public init() { entries = [] }

    /// Creates metadata from text pairs, in order.
    public init(_ pairs: [(String, String)]) {
        entries = pairs.map { Entry(key: $0.0.lowercased(), value: .string($0.1)) }
    }

    /// Appends a text value. The key is lower-cased.
    public mutating func add(_ key: String, _ value: String) {
        entries.append(Entry(key: Self.lowercased(key), value: .string(value)))
    }

    /// Header names from HTTP/2 are lower-case already; only lower-case (allocating) when needed.
    @inline(__always)
    private static func lowercased(_ key: String) -> String {
        key.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? key.lowercased() : key
    }

    /// Appends a binary value; the key should end in `-bin`.
    public mutating func add(_ key: String, bytes: [UInt8]) {
        entries.append(Entry(key: Self.lowercased(key), value: .binary(bytes)))
    }

    /// The first text value for `key`, if any.
    public func first(_ key: String) -> String? {
        let key = key.lowercased()
        for entry in entries where entry.key == key {
            if case .string(let s) = entry.value { return s }
        }
        return nil
    }

    /// All values for `key`, in order.
    public func values(_ key: String) -> [Value] {
        let key = key.lowercased()
        return entries.filter { $0.key == key }.map(\.value)
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}
