public import WeftRPC

/// The request HEADERS of one gRPC call, collected field by field and validated once complete.
///
/// A value type with no I/O: the connection handler feeds it what nghttp2 parsed, and tests drive it directly.
public struct RequestHead: Sendable {
    /// What the server does with a complete header block.
    public enum Decision: Sendable, Equatable {
        /// A valid gRPC request.
        case accept
        /// Refuse with a Trailers-Only response: HTTP status and gRPC status.
        case reject(httpStatus: Int, code: StatusCode, message: String)
    }

    public private(set) var path = ""
    public private(set) var timeout: Duration?
    public private(set) var encoding = "identity"
    /// The client's `grpc-accept-encoding`, lower-cased; responses are compressed only with one of these.
    public private(set) var acceptEncodings: [String] = []
    public private(set) var metadata = Metadata()
    /// Bytes counted against the header-list limit (name + value + 32 per field, RFC 9113 §6.5.2).
    public private(set) var headerListSize = 0

    private var isPost = false
    private var contentType: ContentType = .missing
    private var malformedTimeout: String?
    private var malformedMetadata: String?
    private let maxHeaderListSize: Int

    private enum ContentType { case missing, grpc, other(String) }

    public init(maxHeaderListSize: Int) {
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// True once the header list is over the limit; later fields are counted but not kept.
    public var isTooLarge: Bool { headerListSize > maxHeaderListSize }

    /// Adds one field as nghttp2 delivered it (already lower-case and validated by its HTTP messaging rules).
    public mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        headerListSize += name.count + value.count + 32
        if isTooLarge { return }
        guard let first = name.first else { return }
        if first == UInt8(ascii: ":") {
            if equals(name, ":path") {
                path = String(decoding: value, as: UTF8.self)
            } else if equals(name, ":method") {
                isPost = equals(value, "POST")
            }
            return
        }
        if equals(name, "content-type") {
            contentType = Self.isGRPCContentType(value) ? .grpc : .other(String(decoding: value, as: UTF8.self))
        } else if equals(name, "grpc-timeout") {
            if let parsed = GRPCTimeout.parse(value) {
                timeout = parsed
            } else {
                malformedTimeout = String(decoding: value, as: UTF8.self)
            }
        } else if equals(name, "grpc-encoding") {
            encoding = String(decoding: value, as: UTF8.self)
        } else if equals(name, "grpc-accept-encoding") {
            acceptEncodings += value.split(separator: UInt8(ascii: ",")).map {
                String(decoding: $0, as: UTF8.self).trimmingSpaces().lowercased()
            }
        } else if equals(name, "te") || hasPrefix(name, "grpc-") {
            // Reserved; `te` is deliberately not required (proxies strip it).
        } else {
            let key = String(decoding: name, as: UTF8.self)
            if key.hasSuffix("-bin") {
                if let bytes = MetadataBase64.decode(value) {
                    metadata.add(key, bytes: bytes)
                } else {
                    malformedMetadata = key
                }
            } else {
                metadata.add(key, String(decoding: value, as: UTF8.self))
            }
        }
    }

    /// Sets `:path` to an existing String equal to the field's bytes (the caller compared them).
    public mutating func setPath(_ path: String, headerBytes: Int) {
        headerListSize += headerBytes + 32
        if !isTooLarge { self.path = path }
    }

    /// Validates the complete block.
    public func decide() -> Decision {
        if isTooLarge {
            return .reject(
                httpStatus: 200, code: .resourceExhausted,
                message: "request headers larger than max (\(headerListSize) vs. \(maxHeaderListSize) bytes)")
        }
        if !isPost {
            return .reject(httpStatus: 405, code: .internal, message: "gRPC requires method POST")
        }
        switch contentType {
        case .grpc: break
        case .missing:
            return .reject(httpStatus: 415, code: .internal, message: "missing content-type: expected application/grpc")
        case .other(let value):
            return .reject(httpStatus: 415, code: .internal,
                           message: "invalid gRPC request content-type \"\(value)\"")
        }
        if let malformedTimeout {
            return .reject(httpStatus: 400, code: .internal, message: "malformed grpc-timeout: \"\(malformedTimeout)\"")
        }
        if let malformedMetadata {
            return .reject(httpStatus: 200, code: .internal,
                           message: "malformed base64 in binary metadata \"\(malformedMetadata)\"")
        }
        return .accept
    }

    /// `application/grpc`, `application/grpc+proto` and `application/grpc;…` are gRPC; `+json` and others are not.
    static func isGRPCContentType(_ value: UnsafeRawBufferPointer) -> Bool {
        guard hasPrefix(value, "application/grpc") else { return false }
        let rest = value.dropFirst(16)
        guard let next = rest.first else { return true }
        if next == UInt8(ascii: ";") { return true }
        if next == UInt8(ascii: "+") {
            let subtype = rest.dropFirst().prefix { $0 != UInt8(ascii: ";") }
            return subtype.elementsEqual("proto".utf8)
        }
        return false
    }
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" }
        var trimmed = String(String.UnicodeScalarView(scalars))
        while trimmed.last == " " || trimmed.last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}

@inline(__always)
func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    bytes.count == literal.utf8CodeUnitCount
        && memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0
}

@inline(__always)
func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    bytes.count >= literal.utf8CodeUnitCount
        && memcmp(bytes.baseAddress!, literal.utf8Start, literal.utf8CodeUnitCount) == 0
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
