/// Fields a message's schema does not define, kept as they arrived so that a message decoded by an older
/// schema and encoded again loses nothing (proto3 keeps unknown fields since protobuf 3.5).
///
/// The generated types fill it when decoding and write it back, after the known fields, when encoding. A value
/// built by hand is written as given: its bytes must be a valid encoding for its wire type.
public struct UnknownFields: Hashable, Sendable {
    /// How a field's value is laid out on the wire. protobuf-c rejects the group wire types (3 and 4).
    public enum WireType: UInt8, Hashable, Sendable {
        /// A base-128 varint.
        case varint = 0
        /// Eight little-endian bytes.
        case fixed64 = 1
        /// A varint length, then that many bytes.
        case lengthDelimited = 2
        /// Four little-endian bytes.
        case fixed32 = 5
    }

    /// One field as it arrived.
    public struct Field: Hashable, Sendable {
        /// The field number (protobuf-c calls it the tag).
        public var number: UInt32
        /// The layout of ``bytes``.
        public var wireType: WireType
        /// The value exactly as it follows the tag on the wire: the varint, the 8 or 4 bytes, or the length
        /// prefix and the bytes it counts.
        public var bytes: [UInt8]

        /// Creates a field from its number, wire type and encoded value (without the tag).
        public init(number: UInt32, wireType: WireType, bytes: [UInt8]) {
            self.number = number
            self.wireType = wireType
            self.bytes = bytes
        }
    }

    /// The fields in the order they arrived.
    public var fields: [Field]

    /// Creates a set of unknown fields; empty by default.
    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Whether there are no unknown fields.
    public var isEmpty: Bool { fields.isEmpty }
}
