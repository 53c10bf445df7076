internal import CProtobufC
import WeftRPC

/// Decoding and encoding through libprotobuf-c, and the conversions from unpacked C values to Swift values.
///
/// protobuf-c behaviours the conversions account for:
/// - Strings are NUL-terminated `char *`: a string with an embedded NUL is cut at the NUL, on encode and decode
///   alike. protobuf-c does not check UTF-8; decoding does, and rejects invalid strings as protobuf requires.
/// - An absent proto3 string is `protobuf_c_empty_string`, never written to; an absent message or oneof member is
///   NULL; `bytes` are `ProtobufCBinaryData` whose data may be NULL when empty.
/// - `bool` is `protobuf_c_boolean`, an `int`; enum fields are C enums holding any `int32`, so unknown values
///   survive as `.unrecognized`.
/// - Unset proto3 scalars (zero, false, empty) are not written; `-0.0` compares equal to zero and is not written
///   either, so it decodes as `0.0`.
/// - Repeated fields are a count `n_x` plus an array (`char **`, `T **` for messages); maps are repeated entry
///   messages; a oneof is `x_case` (the member's field number, or 0) plus an anonymous union.
/// - proto3 `optional` is not supported by protoc-c 1.4.1 (it refuses such files); the protos use wrapper
///   messages instead.
enum ProtobufC {
    /// Decodes `bytes` with `protobuf_c_message_unpack` on the type's descriptor, then copies the unpacked struct
    /// into Swift values and frees it.
    ///
    /// `initialize` is the protoc-c `__init` function: it stores the address of the type's descriptor, which Swift
    /// cannot take from the imported `extern const` itself (protoc-c generates `__unpack` for top-level messages
    /// only, so nested ones need the descriptor anyway).
    static func decode<Message: ProtobufCCodable>(
        _ bytes: UnsafeRawBufferPointer,
        initialize: (UnsafeMutablePointer<Message.CMessage>?) -> Void
    ) throws -> Message {
        let unpacked = protobuf_c_message_unpack(
            descriptor(initialize),
            nil,
            bytes.count,
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        )
        guard let unpacked else {
            throw invalidEncoding(of: Message.self, byteCount: bytes.count, cause: nil)
        }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        do {
            return try Message(protobufC: UnsafePointer<Message.CMessage>(OpaquePointer(unpacked)).pointee)
        } catch {
            throw invalidEncoding(of: Message.self, byteCount: bytes.count, cause: error)
        }
    }

    /// The descriptor a protoc-c `__init` function puts in the `ProtobufCMessage` header.
    private static func descriptor<CMessage>(
        _ initialize: (UnsafeMutablePointer<CMessage>?) -> Void
    ) -> UnsafePointer<ProtobufCMessageDescriptor> {
        withUnsafeTemporaryAllocation(of: CMessage.self, capacity: 1) { buffer in
            initialize(buffer.baseAddress)
            // Every protoc-c message struct starts with its ProtobufCMessage header.
            return UnsafeRawPointer(buffer.baseAddress!).load(as: ProtobufCMessage.self).descriptor
        }
    }

    /// Encodes `message`: builds its C struct in an arena, sizes it and packs it into an exactly sized array.
    static func encode<Message: ProtobufCCodable>(_ message: Message) -> [UInt8] {
        Arena.with { arena in
            let packable = UnsafePointer<ProtobufCMessage>(OpaquePointer(message.protobufC(&arena)))
            let size = protobuf_c_message_get_packed_size(packable)
            guard size > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = protobuf_c_message_pack(packable, buffer.baseAddress)
            }
        }
    }

    private static func invalidEncoding<Message: ProtobufCCodable>(
        of type: Message.Type,
        byteCount: Int,
        cause: (any Error)?
    ) -> RPCError {
        RPCError(
            code: .internal,
            message: "invalid protobuf encoding of \(Message.protoMessageName) (\(byteCount) bytes)",
            cause: cause
        )
    }

    /// A string field was not valid UTF-8; the cause of the decoding error.
    struct InvalidUTF8: Error, CustomStringConvertible {
        var description: String { "a string field is not valid UTF-8" }
    }

    // MARK: - C values to Swift values

    /// A `string` field; NULL (an unset oneof member) is empty.
    static func string(_ pointer: UnsafePointer<CChar>?) throws -> String {
        guard let pointer, pointer.pointee != 0 else { return "" }
        guard let string = String(validatingCString: pointer) else { throw InvalidUTF8() }
        return string
    }

    /// A `bytes` field.
    static func bytes(_ binary: ProtobufCBinaryData) -> [UInt8] {
        guard binary.len > 0, let data = binary.data else { return [] }
        return [UInt8](UnsafeBufferPointer(start: data, count: binary.len))
    }

    /// A singular message field; nil when absent.
    static func message<Message: ProtobufCCodable>(
        _ pointer: UnsafeMutablePointer<Message.CMessage>?
    ) throws -> Message? {
        guard let pointer else { return nil }
        return try Message(protobufC: pointer.pointee)
    }

    /// A oneof member or map value, present by other means; NULL (which protobuf-c does not produce) is the
    /// default message.
    static func messageOrDefault<Message: ProtobufCCodable>(
        _ pointer: UnsafeMutablePointer<Message.CMessage>?
    ) throws -> Message {
        guard let pointer else { return Message() }
        return try Message(protobufC: pointer.pointee)
    }

    /// The elements of a repeated field.
    static func buffer<Element>(
        _ pointer: UnsafeMutablePointer<Element>?,
        _ count: Int
    ) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: pointer, count: pointer == nil ? 0 : count)
    }

    /// A repeated numeric field whose Swift and C types are the same.
    static func array<Element>(_ pointer: UnsafeMutablePointer<Element>?, _ count: Int) -> [Element] {
        Array(buffer(pointer, count))
    }

    /// A repeated `bool`.
    static func booleans(_ pointer: UnsafeMutablePointer<protobuf_c_boolean>?, _ count: Int) -> [Bool] {
        buffer(pointer, count).map { $0 != 0 }
    }

    /// A repeated enum.
    static func enums<Value: ProtobufCEnum, CEnum: RawRepresentable>(
        _ pointer: UnsafeMutablePointer<CEnum>?,
        _ count: Int
    ) -> [Value] where CEnum.RawValue: BinaryInteger {
        buffer(pointer, count).map { Value(protobufC: $0) }
    }

    /// A repeated `string`.
    static func strings(
        _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ count: Int
    ) throws -> [String] {
        try buffer(pointer, count).map { try string($0) }
    }

    /// A repeated `bytes`.
    static func binaries(_ pointer: UnsafeMutablePointer<ProtobufCBinaryData>?, _ count: Int) -> [[UInt8]] {
        buffer(pointer, count).map { bytes($0) }
    }

    /// A repeated message field. protobuf-c never leaves a NULL element; one would decode as the default message.
    static func messages<Message: ProtobufCCodable>(
        _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<Message.CMessage>?>?,
        _ count: Int
    ) throws -> [Message] {
        try buffer(pointer, count).map { element in
            guard let element else { return Message() }
            return try Message(protobufC: element.pointee)
        }
    }
}
