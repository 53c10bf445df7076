import Testing
import WeftMessages
import WeftRPC

private typealias HealthRequest = Grpc_Health_V1_HealthCheckRequest
private typealias HealthResponse = Grpc_Health_V1_HealthCheckResponse
private typealias SubmitRequest = Weft_V1_SubmitWorkflowRequest

@Suite("Invalid encodings throw INTERNAL")
struct DecodingErrorTests {
    /// Decodes `bytes` as `Message` and expects an INTERNAL `RPCError` naming the type and the byte count.
    private func expectInvalid<Message: WireMessage>(
        _ bytes: [UInt8],
        as type: Message.Type,
        named name: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: RPCError.self, sourceLocation: sourceLocation) {
            try Message(wireBytes: bytes)
        }
        #expect(error?.code == .internal, sourceLocation: sourceLocation)
        #expect(
            error?.message == "invalid protobuf encoding of \(name) (\(bytes.count) bytes)",
            sourceLocation: sourceLocation
        )
    }

    @Test("A length running past the end is rejected")
    func truncatedLength() {
        expectInvalid([0x0a, 0xff], as: HealthRequest.self, named: "grpc.health.v1.HealthCheckRequest")
        expectInvalid([0x22, 0x05, 0x0a, 0x01], as: SubmitRequest.self, named: "weft.v1.SubmitWorkflowRequest")
    }

    @Test("A truncated varint is rejected")
    func truncatedVarint() {
        expectInvalid([0x08, 0xff], as: HealthResponse.self, named: "grpc.health.v1.HealthCheckResponse")
        expectInvalid([0x80], as: Weft_Testing_V1_Empty.self, named: "weft.testing.v1.Empty")
    }

    @Test("A string that is not UTF-8 is rejected, nested or not")
    func invalidUTF8() {
        expectInvalid([0x0a, 0x02, 0xff, 0xfe], as: HealthRequest.self, named: "grpc.health.v1.HealthCheckRequest")
        // tasks { id: "\xc3(" }
        let badTask: [UInt8] = [0x22, 0x04, 0x0a, 0x02, 0xc3, 0x28]
        expectInvalid(badTask, as: SubmitRequest.self, named: "weft.v1.SubmitWorkflowRequest")
        // constraints { key: "\xff" }
        expectInvalid([0x1a, 0x03, 0x0a, 0x01, 0xff], as: SubmitRequest.self, named: "weft.v1.SubmitWorkflowRequest")
    }

    @Test("Field number zero, group wire types and a known field with the wrong wire type are rejected")
    func malformedTags() {
        expectInvalid([0x00, 0x01], as: HealthResponse.self, named: "grpc.health.v1.HealthCheckResponse")
        expectInvalid([0x0b, 0x0c], as: HealthResponse.self, named: "grpc.health.v1.HealthCheckResponse")
        expectInvalid([0x0a, 0x00], as: HealthResponse.self, named: "grpc.health.v1.HealthCheckResponse")
    }
}
