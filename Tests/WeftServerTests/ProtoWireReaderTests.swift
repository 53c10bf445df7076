import Testing

@testable import WeftServer

@Suite("ProtoWireReader")
struct ProtoWireReaderTests {
    @Test("Reads tags, varints and length-delimited fields, and skips the other wire types")
    func readsAndSkips() throws {
        let bytes: [UInt8] = [
            0x08, 0x96, 0x01,  // field 1 varint 150
            0x11, 1, 2, 3, 4, 5, 6, 7, 8,  // field 2 fixed64
            0x1D, 1, 2, 3, 4,  // field 3 fixed32
            0x23, 0x08, 0x01, 0x24,  // field 4 group holding field 1 varint 1
            0x2A, 0x02, 0x68, 0x69,  // field 5 "hi"
        ]
        var reader = ProtoWireReader(bytes)
        #expect(try reader.nextTag()! == (1, .varint))
        #expect(try reader.readVarint() == 150)
        for (expected, wireType) in [(UInt32(2), ProtoWireReader.WireType.fixed64), (3, .fixed32), (4, .startGroup)] {
            let tag = try #require(try reader.nextTag())
            #expect(tag.field == expected && tag.wireType == wireType)
            try reader.skip(tag.wireType)
        }
        #expect(try reader.nextTag()! == (5, .lengthDelimited))
        #expect(try reader.readString() == "hi")
        #expect(try reader.nextTag() == nil)
        #expect(reader.isAtEnd)
    }

    @Test("Rejects truncated values, overlong lengths and invalid tags")
    func rejectsMalformed() {
        for bytes: [UInt8] in [
            [0x08, 0x96],  // truncated varint
            [0x0A, 0x05, 0x01],  // length past the end
            [0x0F],  // wire type 7
            [0x00],  // field 0
            [0x11, 1, 2],  // truncated fixed64
            [0x08] + [UInt8](repeating: 0xFF, count: 11),  // varint longer than ten bytes
        ] {
            var reader = ProtoWireReader(bytes)
            #expect(throws: ProtoWireReader.DecodingError.self, "\(bytes)") {
                while let (_, wireType) = try reader.nextTag() { try reader.skip(wireType) }
            }
        }
    }
}
