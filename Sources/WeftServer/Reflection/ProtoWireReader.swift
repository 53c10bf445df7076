/// A minimal reader of the protobuf wire format, enough to walk descriptor protos field by field.
///
/// It reads tags, varints and length-delimited payloads and skips everything else, so unknown fields and newer
/// descriptor options pass through untouched.
struct ProtoWireReader {
    /// How a field's value is laid out on the wire.
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
    }

    /// A malformed encoding.
    struct DecodingError: Error, CustomStringConvertible {
        var message: String
        var offset: Int

        var description: String { "invalid protobuf encoding at byte \(offset): \(message)" }
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    /// Reads the next field's tag, or returns `nil` at the end of the buffer.
    mutating func nextTag() throws -> (field: UInt32, wireType: WireType)? {
        guard !isAtEnd else { return nil }
        let start = position
        let key = try readVarint()
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw DecodingError(message: "unknown wire type \(key & 7)", offset: start)
        }
        let field = key >> 3
        guard field > 0, field <= 0x1FFF_FFFF else {
            throw DecodingError(message: "invalid field number \(field)", offset: start)
        }
        return (UInt32(field), wireType)
    }

    /// Reads a base-128 varint of at most ten bytes.
    mutating func readVarint() throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard position < bytes.endIndex else {
                throw DecodingError(message: "truncated varint", offset: start)
            }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw DecodingError(message: "varint longer than ten bytes", offset: start)
    }

    /// Reads a length-delimited payload (bytes, string or embedded message) without copying.
    mutating func readLengthDelimited() throws -> ArraySlice<UInt8> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(bytes.endIndex - position) else {
            throw DecodingError(message: "length \(length) runs past the end of the buffer", offset: start)
        }
        let end = position + Int(length)
        defer { position = end }
        return bytes[position..<end]
    }

    /// Reads a length-delimited payload as UTF-8 text.
    mutating func readString() throws -> String {
        String(decoding: try readLengthDelimited(), as: UTF8.self)
    }

    /// Skips a value of the given wire type.
    mutating func skip(_ wireType: WireType) throws {
        switch wireType {
        case .varint:
            _ = try readVarint()
        case .fixed64:
            try advance(by: 8)
        case .fixed32:
            try advance(by: 4)
        case .lengthDelimited:
            _ = try readLengthDelimited()
        case .startGroup:
            // Groups nest until the matching end tag; descriptor protos never use them, but skip them correctly.
            while let (_, inner) = try nextTag() {
                if inner == .endGroup { return }
                try skip(inner)
            }
            throw DecodingError(message: "unterminated group", offset: position)
        case .endGroup:
            throw DecodingError(message: "unexpected end of group", offset: position)
        }
    }

    private mutating func advance(by count: Int) throws {
        guard bytes.endIndex - position >= count else {
            throw DecodingError(message: "truncated fixed-width value", offset: position)
        }
        position += count
    }
}
