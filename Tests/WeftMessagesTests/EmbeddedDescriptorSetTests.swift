import Testing
import WeftMessages

@Suite("The embedded descriptor set")
struct EmbeddedDescriptorSetTests {
    /// Reads a base-128 varint at `offset`, advancing it.
    private func varint(_ bytes: [UInt8], _ offset: inout Int) throws -> Int {
        var value = 0
        var shift = 0
        while true {
            let byte = try #require(offset < bytes.count ? bytes[offset] : nil)
            offset += 1
            value |= Int(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    @Test("It parses as a FileDescriptorSet of every proto with its imports")
    func parses() throws {
        let bytes = EmbeddedDescriptorSet.bytes
        try #require(!bytes.isEmpty)
        #expect(bytes[0] == 0x0a)  // field 1 (file), length-delimited
        var names: [String] = []
        var offset = 0
        while offset < bytes.count {
            #expect(bytes[offset] == 0x0a)
            offset += 1
            let length = try varint(bytes, &offset)
            let end = offset + length
            try #require(end <= bytes.count)
            // protoc writes FileDescriptorProto.name (field 1) first.
            #expect(bytes[offset] == 0x0a)
            var nameOffset = offset + 1
            let nameLength = try varint(bytes, &nameOffset)
            names.append(String(decoding: bytes[nameOffset..<nameOffset + nameLength], as: UTF8.self))
            offset = end
        }
        #expect(offset == bytes.count)
        #expect(
            Set(names) == [
                "google/protobuf/wrappers.proto", "weft/v1/workflow.proto", "weft/v1/worker.proto",
                "weft/testing/v1/testing.proto", "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
                "grpc/reflection/v1alpha/reflection.proto",
            ]
        )
    }
}
