import Testing
import WeftMessages

@Suite("Unknown fields survive a decode and re-encode")
struct UnknownFieldsTests {
    @Test("Fields of every wire type after the known ones are kept and written back")
    func everyWireType() throws {
        let known: [UInt8] = [0x0a, 0x01, 0x61]
        let unknown: [UInt8] =
            [0x10, 0x96, 0x01]  // field 2, varint 150
            + [0x1a, 0x02, 0x68, 0x69]  // field 3, "hi"
            + [0x25, 0x01, 0x02, 0x03, 0x04]  // field 4, fixed32
            + [0x29, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]  // field 5, fixed64
            + [0xc0, 0x3e, 0x01]  // field 1000, varint 1
        let request = try Grpc_Health_V1_HealthCheckRequest(wireBytes: known + unknown)
        #expect(request.service == "a")
        #expect(
            request.unknownFields.fields == [
                .init(number: 2, wireType: .varint, bytes: [0x96, 0x01]),
                .init(number: 3, wireType: .lengthDelimited, bytes: [0x02, 0x68, 0x69]),
                .init(number: 4, wireType: .fixed32, bytes: [0x01, 0x02, 0x03, 0x04]),
                .init(number: 5, wireType: .fixed64, bytes: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]),
                .init(number: 1000, wireType: .varint, bytes: [0x01]),
            ]
        )
        #expect(request.wireBytes() == known + unknown)
    }

    @Test("Unknown fields of a nested message are kept in the nested message")
    func nested() throws {
        let bytes: [UInt8] = [0x1a, 0x04, 0x08, 0x01, 0x48, 0x05]  // response_status { code: 1, 9: 5 }
        let request = try Weft_Testing_V1_SimpleRequest(wireBytes: bytes)
        #expect(request.responseStatus?.code == 1)
        #expect(request.responseStatus?.unknownFields.fields == [.init(number: 9, wireType: .varint, bytes: [0x05])])
        #expect(request.unknownFields.isEmpty)
        #expect(request.wireBytes() == bytes)
    }

    @Test("A message read by an older schema passes through unchanged")
    func olderSchema() throws {
        let failed = Weft_V1_TaskFailed(
            taskID: "a", attempt: 2, error: "e", errorType: "Timeout", willRetry: true, retryInMs: 500
        )
        // TaskStarted shares fields 1 to 3 with TaskFailed; 4 to 6 are unknown to it.
        let started = try Weft_V1_TaskStarted(wireBytes: failed.wireBytes())
        #expect(started.taskID == "a" && started.attempt == 2 && started.executor == "e")
        #expect(started.unknownFields.fields.map(\.number) == [4, 5, 6])
        #expect(try Weft_V1_TaskFailed(wireBytes: started.wireBytes()) == failed)
    }

    @Test("Unknown fields set by hand are written after the known fields")
    func setByHand() {
        var response = Grpc_Health_V1_HealthCheckResponse(status: .serving)
        response.unknownFields = UnknownFields([.init(number: 7, wireType: .lengthDelimited, bytes: [0x01, 0x41])])
        #expect(response.wireBytes() == [0x08, 0x01, 0x3a, 0x01, 0x41])
        var empty = Weft_Testing_V1_Empty()
        empty.unknownFields.fields.append(.init(number: 1, wireType: .varint, bytes: [0x00]))
        #expect(empty.wireBytes() == [0x08, 0x00])
    }
}
