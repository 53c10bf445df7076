import WeftRPC

/// A generated message that converts to and from the struct protoc-c generated for it.
///
/// Generated code conforms every message; ``ProtobufC`` and ``Arena`` use it to code nested and repeated messages
/// without per-type code.
protocol ProtobufCCodable: WireMessage {
    /// The protoc-c struct, e.g. `Weft__V1__TaskSpec`.
    associatedtype CMessage

    /// The full protobuf name, e.g. `weft.v1.TaskSpec`, for error messages.
    static var protoMessageName: String { get }

    /// The default message.
    init()

    /// Copies a struct unpacked by protobuf-c; throws when a string is not valid UTF-8.
    init(protobufC message: CMessage) throws

    /// Builds the struct in `arena`, ready for `protobuf_c_message_pack`.
    func protobufC(_ arena: inout Arena) -> UnsafeMutablePointer<CMessage>
}

/// A generated enum, whose protobuf-c field is a C enum imported as a struct with an integer raw value.
protocol ProtobufCEnum {
    /// The case for a wire value; unknown values become `.unrecognized`.
    init(rawValue: Int32)

    /// The wire value.
    var rawValue: Int32 { get }
}

extension ProtobufCEnum {
    /// The case for a protobuf-c C enum value. protobuf-c keeps unknown values in the C enum field.
    init<CEnum: RawRepresentable>(protobufC value: CEnum) where CEnum.RawValue: BinaryInteger {
        self.init(rawValue: Int32(truncatingIfNeeded: value.rawValue))
    }

    /// The protobuf-c C enum value, the C type inferred from the field it is assigned to.
    func protobufC<CEnum: RawRepresentable>() -> CEnum where CEnum.RawValue: FixedWidthInteger {
        // Imported C enums accept every raw value.
        CEnum(rawValue: CEnum.RawValue(truncatingIfNeeded: rawValue))!
    }
}
