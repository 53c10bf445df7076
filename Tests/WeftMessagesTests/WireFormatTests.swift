import Testing
import WeftMessages

@Suite("Encodings match hand-computed wire bytes")
struct WireFormatTests {
    @Test("Scalars encode as protobuf specifies")
    func scalars() {
        #expect(Grpc_Health_V1_HealthCheckResponse(status: .serving).wireBytes() == [0x08, 0x01])
        #expect(Grpc_Health_V1_HealthCheckRequest(service: "weft").wireBytes() == [0x0a, 0x04, 0x77, 0x65, 0x66, 0x74])
        #expect(Weft_Testing_V1_SimpleResponse(payload: [0x00, 0x01]).wireBytes() == [0x0a, 0x02, 0x00, 0x01])
        let tenByteMinusOne: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        #expect(Google_Protobuf_Int32Value(value: -1).wireBytes() == [0x08] + tenByteMinusOne)
        #expect(Google_Protobuf_Int64Value(value: -1).wireBytes() == [0x08] + tenByteMinusOne)
        #expect(Google_Protobuf_UInt64Value(value: .max).wireBytes() == [0x08] + tenByteMinusOne)
        #expect(Google_Protobuf_UInt32Value(value: 300).wireBytes() == [0x08, 0xac, 0x02])
        #expect(Google_Protobuf_DoubleValue(value: 1).wireBytes() == [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])
        #expect(Google_Protobuf_FloatValue(value: 1).wireBytes() == [0x0d, 0, 0, 0x80, 0x3f])
        #expect(Google_Protobuf_BoolValue(value: true).wireBytes() == [0x08, 0x01])
        #expect(
            Weft_V1_WatchWorkflowRequest(workflowID: "w", afterSequence: 150).wireBytes()
                == [0x0a, 0x01, 0x77, 0x10, 0x96, 0x01]
        )
    }

    @Test("Repeated int32 is packed; unpacked input decodes too")
    func packedRepeated() throws {
        let packed: [UInt8] = [0x12, 0x04, 0x01, 0x02, 0xac, 0x02]
        #expect(Grpc_Reflection_V1_ExtensionNumberResponse(extensionNumber: [1, 2, 300]).wireBytes() == packed)
        let unpacked = try Grpc_Reflection_V1_ExtensionNumberResponse(wireBytes: [0x10, 0x01, 0x10, 0x02])
        #expect(unpacked.extensionNumber == [1, 2])
    }

    @Test("Map entries are written in key order")
    func mapOrder() {
        let request = Weft_V1_SubmitWorkflowRequest(constraints: ["b": "2", "a": "1"])
        let entryA: [UInt8] = [0x1a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x31]
        let entryB: [UInt8] = [0x1a, 0x06, 0x0a, 0x01, 0x62, 0x12, 0x01, 0x32]
        #expect(request.wireBytes() == entryA + entryB)
    }

    @Test("Fields are written in field-number order with oneof members in place")
    func fieldOrder() {
        let event = Weft_V1_WorkflowEvent(sequence: 1, payload: .workflowCancelled(.init(reason: "x")))
        #expect(event.wireBytes() == [0x08, 0x01, 0xa2, 0x01, 0x03, 0x0a, 0x01, 0x78])
        let emptyMember = Weft_V1_WorkflowEvent(payload: .workflowCancelled(.init()))
        #expect(emptyMember.wireBytes() == [0xa2, 0x01, 0x00])
        #expect(Weft_V1_CompleteActivityRequest(outcome: .result("")).wireBytes() == [0x12, 0x00])
    }

    @Test("Unrecognized enum values are written as their numbers")
    func unrecognizedEnumValues() {
        #expect(Grpc_Health_V1_HealthCheckResponse(status: .unrecognized(7)).wireBytes() == [0x08, 0x07])
        #expect(
            Grpc_Health_V1_HealthCheckResponse(status: .unrecognized(-2)).wireBytes()
                == [0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        )
    }

    @Test("The last value of a repeated singular field wins")
    func lastValueWins() throws {
        #expect(try Grpc_Health_V1_HealthCheckResponse(wireBytes: [0x08, 0x01, 0x08, 0x02]).status == .notServing)
    }

    @Test("protobuf-c limits: strings end at an embedded NUL, -0.0 is not written")
    func protobufCLimits() throws {
        // protobuf-c holds strings as NUL-terminated `char *`.
        #expect(Google_Protobuf_StringValue(value: "a\u{0}b").wireBytes() == [0x0a, 0x01, 0x61])
        // protobuf-c compares floating-point fields with zero to decide whether to write them.
        #expect(Google_Protobuf_DoubleValue(value: -0.0).wireBytes().isEmpty)
    }
}
