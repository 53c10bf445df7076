import Testing
import WeftRPC

@Suite("RPCError")
struct RPCErrorTests {
    private struct Secret: Error, CustomStringConvertible {
        var description: String { "connection to redis://user:hunter2@10.0.0.1 refused" }
    }

    @Test("an error keeps its code, message, metadata and cause")
    func keepsFields() throws {
        var metadata = Metadata()
        metadata.add("retry-after", "3")
        let error = RPCError(code: .notFound, message: "no such workflow", metadata: metadata, cause: Secret())
        #expect(error.code == .notFound)
        #expect(error.message == "no such workflow")
        #expect(error.metadata.first("retry-after") == "3")
        #expect(try #require(error.cause) is Secret)
        #expect(error.description == "NOT_FOUND: no such workflow")
    }

    @Test("an OK code is coerced to UNKNOWN, since OK is not an error")
    func okBecomesUnknown() {
        #expect(RPCError(code: .ok, message: "fine?").code == .unknown)
    }

    @Test("init(from:) passes an RPCError through unchanged")
    func fromRPCError() {
        let original = RPCError(code: .permissionDenied, message: "nope")
        let mapped = RPCError(from: original)
        #expect(mapped.code == .permissionDenied)
        #expect(mapped.message == "nope")
        #expect(mapped.cause == nil)
    }

    @Test("init(from:) maps CancellationError to CANCELLED")
    func fromCancellation() {
        let mapped = RPCError(from: CancellationError())
        #expect(mapped.code == .cancelled)
        #expect(mapped.cause is CancellationError)
    }

    @Test("init(from:) maps any other error to UNKNOWN without leaking its text to the client")
    func fromOtherError() {
        let mapped = RPCError(from: Secret())
        #expect(mapped.code == .unknown)
        #expect(!mapped.message.contains("hunter2"))
        #expect(!mapped.message.contains("redis"))
        #expect(mapped.message == "the handler failed")
        #expect(mapped.cause is Secret)
    }

    @Test("RPCStatus describes itself with and without a message")
    func statusDescription() {
        #expect(RPCStatus.ok.description == "OK")
        #expect(RPCStatus(code: .unavailable, message: "shutting down").description == "UNAVAILABLE: shutting down")
    }
}
