import Testing
import WeftHTTP2
import WeftRPC

@Suite("RequestHead")
struct RequestHeadTests {
    private static let valid: [(String, String)] = [
        (":method", "POST"), (":scheme", "http"), (":path", "/test.v1.Echo/Ping"), (":authority", "localhost:50051"),
        ("content-type", "application/grpc"), ("te", "trailers"),
    ]

    /// Feeds fields as nghttp2 would: name and value as raw buffers.
    private func head(_ fields: [(String, String)], limit: Int = 16 * 1024) -> RequestHead {
        var head = RequestHead(maxHeaderListSize: limit)
        for (name, value) in fields {
            Array(name.utf8).withUnsafeBytes { name in
                Array(value.utf8).withUnsafeBytes { value in
                    head.add(name: name, value: value)
                }
            }
        }
        return head
    }

    private func replacing(_ name: String, with value: String?) -> [(String, String)] {
        var fields = Self.valid.filter { $0.0 != name }
        if let value { fields.append((name, value)) }
        return fields
    }

    private func rejection(_ decision: RequestHead.Decision) -> (httpStatus: Int, code: StatusCode, message: String)? {
        guard case .reject(let httpStatus, let code, let message) = decision else { return nil }
        return (httpStatus, code, message)
    }

    @Test("a valid request is accepted and its path, timeout and encoding are kept")
    func valid() {
        let head = head(Self.valid + [("grpc-timeout", "250m"), ("grpc-encoding", "gzip")])
        #expect(head.decide() == .accept)
        #expect(head.path == "/test.v1.Echo/Ping")
        #expect(head.timeout == .milliseconds(250))
        #expect(head.encoding == "gzip")
        #expect(head.metadata.isEmpty)
    }

    @Test("defaults: no timeout and identity encoding")
    func defaults() {
        let head = head(Self.valid)
        #expect(head.timeout == nil)
        #expect(head.encoding == "identity")
    }

    @Test("te: trailers is not required")
    func teNotRequired() {
        #expect(head(replacing("te", with: nil)).decide() == .accept)
    }

    @Test("a method other than POST is refused with HTTP 405", arguments: ["GET", "PUT", "post", ""])
    func notPost(method: String) throws {
        let refusal = try #require(rejection(head(replacing(":method", with: method)).decide()))
        #expect(refusal.httpStatus == 405)
        #expect(refusal.code == .internal)
    }

    @Test("a missing :method is refused with HTTP 405")
    func missingMethod() throws {
        #expect(try #require(rejection(head(replacing(":method", with: nil)).decide())).httpStatus == 405)
    }

    @Test("a missing content-type is refused with HTTP 415")
    func missingContentType() throws {
        let refusal = try #require(rejection(head(replacing("content-type", with: nil)).decide()))
        #expect(refusal.httpStatus == 415)
        #expect(refusal.code == .internal)
    }

    @Test(
        "non-gRPC content types are refused with HTTP 415 naming the type",
        arguments: [
            "application/json", "application/grpc+json", "application/grpcx", "text/plain", "", "application/grp",
        ]
    )
    func otherContentType(contentType: String) throws {
        let refusal = try #require(rejection(head(replacing("content-type", with: contentType)).decide()))
        #expect(refusal.httpStatus == 415)
        #expect(refusal.code == .internal)
        #expect(refusal.message.contains("\"\(contentType)\""))
    }

    @Test(
        "gRPC content types with +proto or parameters are accepted",
        arguments: [
            "application/grpc", "application/grpc+proto", "application/grpc; charset=utf-8",
            "application/grpc;charset=utf-8", "application/grpc+proto; charset=utf-8",
        ]
    )
    func grpcContentTypes(contentType: String) {
        #expect(head(replacing("content-type", with: contentType)).decide() == .accept)
    }

    @Test(
        "a malformed grpc-timeout is refused with HTTP 400 INTERNAL naming the value",
        arguments: ["1x", "123456789S", "", "S", "-1S"]
    )
    func malformedTimeout(value: String) throws {
        let refusal = try #require(rejection(head(Self.valid + [("grpc-timeout", value)]).decide()))
        #expect(refusal.httpStatus == 400)
        #expect(refusal.code == .internal)
        #expect(refusal.message.contains("malformed grpc-timeout"))
        #expect(refusal.message.contains("\"\(value)\""))
    }

    @Test("a 0n timeout is accepted as an already-expired deadline")
    func zeroTimeout() {
        let head = head(Self.valid + [("grpc-timeout", "0n")])
        #expect(head.decide() == .accept)
        #expect(head.timeout == .zero)
    }

    @Test("headers over the list limit are RESOURCE_EXHAUSTED naming both sizes, and later fields are not kept")
    func tooLarge() throws {
        let limit = 400
        let head = head(
            Self.valid + [("x-big", String(repeating: "a", count: 200)), ("x-after", "kept?")],
            limit: limit
        )
        #expect(head.isTooLarge)
        let refusal = try #require(rejection(head.decide()))
        #expect(refusal.code == .resourceExhausted)
        #expect(refusal.message.contains("\(head.headerListSize)"))
        #expect(refusal.message.contains("\(limit)"))
        #expect(head.metadata.first("x-after") == nil)
    }

    @Test("the header list size counts name + value + 32 per field")
    func headerListSize() {
        let head = head([("ab", "cde"), ("f", "")])
        #expect(head.headerListSize == (2 + 3 + 32) + (1 + 0 + 32))
        #expect(!head.isTooLarge)
    }

    @Test("custom metadata is kept in order with lower-case keys; reserved headers are not")
    func customMetadata() {
        let head = head(
            Self.valid + [
                ("x-user", "Alice"), ("X-Upper", "Value"), ("x-user", "Bob"), ("grpc-accept-encoding", "gzip"),
                ("grpc-trace-bin", "AAEC"),
            ]
        )
        #expect(head.decide() == .accept)
        #expect(head.metadata.map(\.key) == ["x-user", "x-upper", "x-user"])
        #expect(head.metadata.values("x-user") == [.string("Alice"), .string("Bob")])
        #expect(head.metadata.first("x-upper") == "Value")
        #expect(head.metadata.first("te") == nil)
        #expect(head.metadata.values("grpc-accept-encoding").isEmpty)
    }

    @Test("-bin metadata values are base64-decoded, padded or not")
    func binaryMetadata() {
        let head = head(
            Self.valid + [("x-data-bin", "AAEC/w=="), ("x-more-bin", "AAEC/w"), ("x-joined-bin", "AQ,Ag==")]
        )
        #expect(head.decide() == .accept)
        #expect(head.metadata.values("x-data-bin") == [.binary([0, 1, 2, 0xFF])])
        #expect(head.metadata.values("x-more-bin") == [.binary([0, 1, 2, 0xFF])])
        #expect(head.metadata.values("x-joined-bin") == [.binary([1, 2])])
    }

    @Test("bad base64 in a -bin value is refused naming the key")
    func badBinaryMetadata() throws {
        let refusal = try #require(rejection(head(Self.valid + [("x-data-bin", "!!not base64!!")]).decide()))
        #expect(refusal.code == .internal)
        #expect(refusal.message.contains("x-data-bin"))
    }
}
