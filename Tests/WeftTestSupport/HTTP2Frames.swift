/// One raw HTTP/2 frame (RFC 9113 §4.1), for tests that play a peer byte by byte.
///
/// Request headers are HPACK-encoded as literal fields without indexing and without Huffman coding, the
/// simplest encoding every decoder accepts; the server's own HPACK output is not decoded here.
public struct HTTP2Frame: Sendable, Equatable, CustomStringConvertible {
    /// Frame types (RFC 9113 §6).
    public enum Kind: UInt8, Sendable {
        case data = 0x0
        case headers = 0x1
        case priority = 0x2
        case rstStream = 0x3
        case settings = 0x4
        case pushPromise = 0x5
        case ping = 0x6
        case goaway = 0x7
        case windowUpdate = 0x8
        case continuation = 0x9
    }

    /// END_STREAM on DATA and HEADERS; ACK on SETTINGS and PING.
    public static let endStream: UInt8 = 0x1
    public static let ack: UInt8 = 0x1
    public static let endHeaders: UInt8 = 0x4

    /// HTTP/2 error codes used in RST_STREAM and GOAWAY (RFC 9113 §7).
    public static let noError: UInt32 = 0x0
    public static let cancel: UInt32 = 0x8

    /// The client connection preface, sent before the client's first SETTINGS.
    public static let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    public var type: UInt8
    public var flags: UInt8
    public var streamID: UInt32
    public var payload: [UInt8]

    public init(type: UInt8, flags: UInt8 = 0, streamID: UInt32 = 0, payload: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.payload = payload
    }

    public init(_ kind: Kind, flags: UInt8 = 0, streamID: UInt32 = 0, payload: [UInt8] = []) {
        self.init(type: kind.rawValue, flags: flags, streamID: streamID, payload: payload)
    }

    /// The frame's type, if it is one RFC 9113 defines.
    public var kind: Kind? { Kind(rawValue: type) }

    public func has(flag: UInt8) -> Bool { flags & flag != 0 }

    /// The 9-byte header followed by the payload.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(9 + payload.count)
        let length = UInt32(payload.count)
        out += [
            UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
            UInt8(truncatingIfNeeded: length),
        ]
        out += [type, flags]
        out += bigEndian(streamID & 0x7FFF_FFFF)
        out += payload
        return out
    }

    /// The error code of a RST_STREAM or GOAWAY frame.
    public var errorCode: UInt32? {
        switch kind {
        case .rstStream where payload.count >= 4: readUInt32(payload, at: 0)
        case .goaway where payload.count >= 8: readUInt32(payload, at: 4)
        default: nil
        }
    }

    /// The last stream id of a GOAWAY frame.
    public var lastStreamID: UInt32? {
        kind == .goaway && payload.count >= 8 ? readUInt32(payload, at: 0) & 0x7FFF_FFFF : nil
    }

    public var description: String {
        let name = kind.map { "\($0)" } ?? "type \(type)"
        return "\(name)(stream \(streamID), flags 0x\(String(flags, radix: 16)), \(payload.count) bytes)"
    }

    // MARK: Builders

    /// A SETTINGS frame with the given (identifier, value) entries.
    public static func settings(_ entries: [(id: UInt16, value: UInt32)] = []) -> HTTP2Frame {
        var payload: [UInt8] = []
        for entry in entries {
            payload += [UInt8(entry.id >> 8), UInt8(truncatingIfNeeded: entry.id)]
            payload += bigEndian(entry.value)
        }
        return HTTP2Frame(.settings, payload: payload)
    }

    public static var settingsAck: HTTP2Frame { HTTP2Frame(.settings, flags: ack) }

    /// A complete HEADERS frame (END_HEADERS set) holding `fields` as HPACK literals.
    public static func headers(
        streamID: UInt32,
        fields: [(name: String, value: String)],
        endStream: Bool = false
    )
        -> HTTP2Frame
    {
        HTTP2Frame(
            .headers,
            flags: endHeaders | (endStream ? Self.endStream : 0),
            streamID: streamID,
            payload: HPACKLiteral.encode(fields)
        )
    }

    public static func data(streamID: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> HTTP2Frame {
        HTTP2Frame(.data, flags: endStream ? Self.endStream : 0, streamID: streamID, payload: bytes)
    }

    public static func rstStream(streamID: UInt32, errorCode: UInt32 = cancel) -> HTTP2Frame {
        HTTP2Frame(.rstStream, streamID: streamID, payload: bigEndian(errorCode))
    }

    public static func windowUpdate(streamID: UInt32 = 0, increment: UInt32) -> HTTP2Frame {
        HTTP2Frame(.windowUpdate, streamID: streamID, payload: bigEndian(increment & 0x7FFF_FFFF))
    }

    public static func ping(_ opaque: UInt64 = 0, ack: Bool = false) -> HTTP2Frame {
        HTTP2Frame(
            .ping,
            flags: ack ? Self.ack : 0,
            payload: bigEndian(UInt32(opaque >> 32)) + bigEndian(UInt32(truncatingIfNeeded: opaque))
        )
    }

    public static func goaway(lastStreamID: UInt32, errorCode: UInt32 = noError) -> HTTP2Frame {
        HTTP2Frame(.goaway, payload: bigEndian(lastStreamID & 0x7FFF_FFFF) + bigEndian(errorCode))
    }

    /// The header fields of a gRPC request: `POST` to `path`, `application/grpc`, then `extra`.
    public static func grpcRequestFields(
        path: String,
        authority: String = "localhost",
        extra: [(name: String, value: String)] = []
    ) -> [(name: String, value: String)] {
        [
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", authority),
            ("content-type", "application/grpc"), ("te", "trailers"),
        ] + extra
    }

    // MARK: Parsing

    /// Splits `bytes` into whole frames; `rest` is an incomplete trailing frame, if any.
    public static func parse(_ bytes: [UInt8]) -> (frames: [HTTP2Frame], rest: [UInt8]) {
        var frames: [HTTP2Frame] = []
        var index = 0
        while bytes.count - index >= 9 {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            guard bytes.count - index - 9 >= length else { break }
            frames.append(
                HTTP2Frame(
                    type: bytes[index + 3],
                    flags: bytes[index + 4],
                    streamID: readUInt32(bytes, at: index + 5) & 0x7FFF_FFFF,
                    payload: Array(bytes[(index + 9)..<(index + 9 + length)])
                )
            )
            index += 9 + length
        }
        return (frames, Array(bytes[index...]))
    }
}

/// HPACK (RFC 7541) as a test client needs it: literal header fields without indexing, new name, no Huffman.
public enum HPACKLiteral {
    /// Encodes each field as `0x00, name length, name, value length, value`.
    public static func encode(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = []
        for field in fields {
            out.append(0x00)
            out += integer(field.name.utf8.count, prefixBits: 7)
            out += field.name.utf8
            out += integer(field.value.utf8.count, prefixBits: 7)
            out += field.value.utf8
        }
        return out
    }

    /// An HPACK integer (RFC 7541 §5.1) with an N-bit prefix; the high bits of the first byte are left 0.
    public static func integer(_ value: Int, prefixBits: Int) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        if value < limit { return [UInt8(value)] }
        var out = [UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        out.append(UInt8(rest))
        return out
    }
}

private func bigEndian(_ value: UInt32) -> [UInt8] {
    [
        UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
        UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
    ]
}

private func readUInt32(_ bytes: [UInt8], at index: Int) -> UInt32 {
    UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8
        | UInt32(bytes[index + 3])
}
