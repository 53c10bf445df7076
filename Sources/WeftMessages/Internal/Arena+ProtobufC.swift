internal import CProtobufC

/// Builders for protobuf-c field values, in arena memory. The generated `protobufC(_:)` methods call these, one
/// call per field, so generated code holds no memory handling of its own.
extension Arena {
    /// A protobuf-c message struct set to its defaults by the protoc-c `__init` function (the `__INIT` macros
    /// cannot be imported into Swift).
    mutating func message<CMessage>(_ initialize: (UnsafeMutablePointer<CMessage>?) -> Void)
        -> UnsafeMutablePointer<CMessage>
    {
        let message = allocate(CMessage.self, count: 1)
        initialize(message)
        return message
    }

    /// A NUL-terminated copy of `string`'s UTF-8.
    ///
    /// protobuf-c takes strings as `char *` and measures them with `strlen`, so a string with an embedded NUL
    /// is encoded only up to its first NUL. protobuf-c offers no length-carrying alternative for `string` fields.
    mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let count = string.utf8.count
        let bytes = allocate(UInt8.self, count: count + 1)
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { utf8 in
            bytes.initialize(from: utf8.baseAddress!, count: utf8.count)
        }
        if copied == nil {
            _ = UnsafeMutableBufferPointer(start: bytes, count: count).initialize(from: string.utf8)
        }
        bytes[count] = 0
        return UnsafeMutableRawPointer(bytes).bindMemory(to: CChar.self, capacity: count + 1)
    }

    /// A `bytes` value: a copy of `bytes`.
    mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        return ProtobufCBinaryData(len: bytes.count, data: copy(bytes))
    }

    /// A copy of `values`, for repeated numeric fields whose Swift and C types are the same; nil when empty.
    mutating func copy<Value>(_ values: [Value]) -> UnsafeMutablePointer<Value>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(Value.self, count: values.count)
        values.withUnsafeBufferPointer { array.initialize(from: $0.baseAddress!, count: $0.count) }
        return array
    }

    /// A repeated `bool`: protobuf-c's `protobuf_c_boolean` is an `int`.
    mutating func booleans(_ values: [Bool]) -> UnsafeMutablePointer<protobuf_c_boolean>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(protobuf_c_boolean.self, count: values.count)
        for (index, value) in values.enumerated() {
            (array + index).initialize(to: value ? 1 : 0)
        }
        return array
    }

    /// A repeated enum as protobuf-c's C enum values (unrecognized values kept as numbers).
    mutating func enums<Value: ProtobufCEnum, CEnum: RawRepresentable>(
        _ values: [Value]
    ) -> UnsafeMutablePointer<CEnum>? where CEnum.RawValue: FixedWidthInteger {
        guard !values.isEmpty else { return nil }
        let array = allocate(CEnum.self, count: values.count)
        for (index, value) in values.enumerated() {
            (array + index).initialize(to: value.protobufC())
        }
        return array
    }

    /// A repeated `string`: an array of `char *`.
    mutating func cStrings(_ values: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: values.count)
        for (index, value) in values.enumerated() {
            (array + index).initialize(to: cString(value))
        }
        return array
    }

    /// A repeated `bytes`: an array of `ProtobufCBinaryData`.
    mutating func binaries(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(ProtobufCBinaryData.self, count: values.count)
        for (index, value) in values.enumerated() {
            (array + index).initialize(to: binary(value))
        }
        return array
    }

    /// A repeated message field: an array of pointers to message structs.
    mutating func messages<Message: ProtobufCCodable>(_ values: [Message])
        -> UnsafeMutablePointer<UnsafeMutablePointer<Message.CMessage>?>?
    {
        guard !values.isEmpty else { return nil }
        let array = pointers(to: Message.CMessage.self, count: values.count)
        for (index, value) in values.enumerated() {
            array[index] = value.protobufC(&self)
        }
        return array
    }

    /// An array of `count` null pointers to `CMessage`, for map entries.
    mutating func pointers<CMessage>(to type: CMessage.Type, count: Int)
        -> UnsafeMutablePointer<UnsafeMutablePointer<CMessage>?>
    {
        let array = allocate(UnsafeMutablePointer<CMessage>?.self, count: count)
        array.initialize(repeating: nil, count: count)
        return array
    }

    /// Hands `unknownFields` to protobuf-c, which writes them after the known fields.
    mutating func setUnknownFields(_ unknownFields: UnknownFields, of base: inout ProtobufCMessage) {
        let fields = unknownFields.fields
        guard !fields.isEmpty else { return }
        let array = allocate(ProtobufCMessageUnknownField.self, count: fields.count)
        for (index, field) in fields.enumerated() {
            let value = binary(field.bytes)
            (array + index).initialize(
                to: ProtobufCMessageUnknownField(
                    tag: field.number,
                    wire_type: ProtobufCWireType(rawValue: .init(field.wireType.rawValue)),
                    len: value.len,
                    data: value.data
                )
            )
        }
        base.n_unknown_fields = UInt32(fields.count)
        base.unknown_fields = array
    }
}
