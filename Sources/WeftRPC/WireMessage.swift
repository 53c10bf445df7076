/// A message that can be coded to and from the protobuf wire format.
///
/// Implemented by the generated types in `WeftMessages`; the RPC core only moves bytes and calls these.
public protocol WireMessage: Sendable {
    /// Decodes a message. An empty buffer is the default message.
    /// - Throws: ``RPCError`` with code INTERNAL when the bytes are not a valid encoding.
    init(wireBytes bytes: UnsafeRawBufferPointer) throws

    /// The protobuf encoding of the message; empty for the default message.
    func wireBytes() -> [UInt8]
}

extension WireMessage {
    /// Decodes from an array of bytes.
    public init(wireBytes bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try Self(wireBytes: $0) }
    }
}
