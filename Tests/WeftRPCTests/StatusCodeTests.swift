import Testing
import WeftRPC

@Suite("StatusCode")
struct StatusCodeTests {
    private static let canonical: [(StatusCode, Int, String)] = [
        (.ok, 0, "OK"), (.cancelled, 1, "CANCELLED"), (.unknown, 2, "UNKNOWN"),
        (.invalidArgument, 3, "INVALID_ARGUMENT"), (.deadlineExceeded, 4, "DEADLINE_EXCEEDED"),
        (.notFound, 5, "NOT_FOUND"), (.alreadyExists, 6, "ALREADY_EXISTS"),
        (.permissionDenied, 7, "PERMISSION_DENIED"), (.resourceExhausted, 8, "RESOURCE_EXHAUSTED"),
        (.failedPrecondition, 9, "FAILED_PRECONDITION"), (.aborted, 10, "ABORTED"), (.outOfRange, 11, "OUT_OF_RANGE"),
        (.unimplemented, 12, "UNIMPLEMENTED"), (.internal, 13, "INTERNAL"), (.unavailable, 14, "UNAVAILABLE"),
        (.dataLoss, 15, "DATA_LOSS"), (.unauthenticated, 16, "UNAUTHENTICATED"),
    ]

    @Test("every named code has the raw value and canonical name of grpc/grpc doc/statuscodes.md")
    func rawValuesAndNames() {
        for (code, rawValue, name) in Self.canonical {
            #expect(code.rawValue == rawValue)
            #expect(code.description == name)
            #expect(StatusCode(rawValue: rawValue) == code)
        }
    }

    @Test("wire values outside 0...16 become UNKNOWN", arguments: [-1, 17, 42, 1000, Int.min, Int.max])
    func outOfRangeIsUnknown(rawValue: Int) {
        let code = StatusCode(rawValue: rawValue)
        #expect(code == .unknown)
        #expect(code.rawValue == 2)
        #expect(code.description == "UNKNOWN")
    }
}
