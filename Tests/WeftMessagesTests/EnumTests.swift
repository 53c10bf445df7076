import Testing
import WeftMessages

@Suite("Generated enums")
struct EnumTests {
    @Test("Cases are the value names without the enum-name prefix, in lowerCamelCase")
    func caseNames() {
        #expect(Weft_V1_Complexity.allCases == [.unspecified, .simple, .medium, .complex, .meta])
        #expect(Weft_V1_SchedulingMode.allCases == [.unspecified, .batch, .eager])
        #expect(Weft_V1_FailurePolicy.allCases == [.unspecified, .continue, .failFast])
        #expect(Weft_V1_CacheOutcome.allCases == [.unspecified, .miss, .reused, .adapted, .bypassed])
        #expect(
            Grpc_Health_V1_HealthCheckResponse.ServingStatus.allCases == [
                .unknown, .serving, .notServing, .serviceUnknown,
            ]
        )
    }

    @Test("Raw values are the proto numbers; unknown numbers are unrecognized")
    func rawValues() {
        #expect(Weft_V1_TaskStatus.cancelled.rawValue == 8)
        #expect(Weft_V1_TaskStatus(rawValue: 3) == .running)
        #expect(Weft_V1_WorkflowStatus(rawValue: 99) == .unrecognized(99))
        #expect(Weft_V1_WorkflowStatus.unrecognized(-4).rawValue == -4)
        #expect(Weft_V1_Complexity() == .unspecified)
    }

    @Test("Unrecognized values survive a round trip in singular fields")
    func unrecognizedRoundTrip() throws {
        try expectRoundTrip(Weft_V1_CacheHit(outcome: .unrecognized(42), similarity: 0.5))
        try expectRoundTrip(Grpc_Health_V1_HealthCheckResponse(status: .unrecognized(-2)))
        try expectRoundTrip(Weft_V1_TaskState(taskID: "t", status: .unrecognized(.max)))
        for status in Weft_V1_TaskStatus.allCases {
            try expectRoundTrip(Weft_V1_TaskState(status: status, priority: -1))
        }
    }
}
