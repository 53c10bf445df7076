internal import CProtobufC

extension UnknownFields {
    /// Copies the unknown fields protobuf-c kept while unpacking `message`.
    init(protobufC message: ProtobufCMessage) {
        self.init()
        guard message.n_unknown_fields > 0, let unknown = message.unknown_fields else { return }
        fields.reserveCapacity(Int(message.n_unknown_fields))
        for field in UnsafeBufferPointer(start: unknown, count: Int(message.n_unknown_fields)) {
            // protobuf-c rejects group wire types, so every field it keeps has one of ours.
            guard let wireType = WireType(rawValue: UInt8(truncatingIfNeeded: field.wire_type.rawValue)) else {
                continue
            }
            let bytes = field.len > 0 ? [UInt8](UnsafeBufferPointer(start: field.data, count: field.len)) : []
            fields.append(Field(number: field.tag, wireType: wireType, bytes: bytes))
        }
    }
}
