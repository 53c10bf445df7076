import Testing
import WeftServer

@Suite("Bearer token file")
struct SecurityTokenTests {
    @Test("parses roles, skips comments and blank lines, trims spaces")
    func parsesRolesAndComments() throws {
        let text = """
            # accepted tokens
            client:abc123

              worker: w-token-9  \r
            #worker:commented-out
            CLIENT:Upper
            """
        let tokens = try BearerTokens(parsing: text)
        #expect(tokens.count == 3)
        #expect(tokens.roles(of: Array("abc123".utf8)) == [.client])
        #expect(tokens.roles(of: Array("w-token-9".utf8)) == [.worker])
        #expect(tokens.roles(of: Array("Upper".utf8)) == [.client])
        #expect(tokens.roles(of: Array("commented-out".utf8)).isEmpty)
        #expect(tokens.roles(of: Array("abc12".utf8)).isEmpty)
        #expect(tokens.roles(of: Array("abc1234".utf8)).isEmpty)
    }

    @Test("a token listed with both roles has both")
    func bothRoles() throws {
        let tokens = try BearerTokens(parsing: "client:shared\nworker:shared\n")
        #expect(tokens.roles(of: Array("shared".utf8)) == [.client, .worker])
    }

    @Test("a token may contain colons after the role")
    func colonInToken() throws {
        let tokens = try BearerTokens(parsing: "client:a:b:c")
        #expect(tokens.roles(of: Array("a:b:c".utf8)) == [.client])
    }

    @Test("errors name the line but never the token", arguments: [
        ("client:ok\nadmin:secret-value", "line 2"),
        ("secret-value", "line 1"),
        ("client:ok\nworker:", "line 2"),
        ("client:has secret-value", "line 1"),
    ])
    func rejectsBadLines(text: String, line: String) {
        let error = #expect(throws: TokenFileError.self) { try BearerTokens(parsing: text) }
        #expect(error?.message.contains(line) == true)
        #expect(error?.description.contains("secret-value") == false)
    }

    @Test("a file with no token is refused, since it would lock every caller out")
    func rejectsEmptyFile() {
        #expect(throws: TokenFileError.self) { try BearerTokens(parsing: "# nothing\n\n") }
    }

    @Test("constant-time comparison agrees with ==")
    func constantTimeEquals() {
        let cases: [(String, String)] = [
            ("", ""), ("a", ""), ("", "a"), ("abc", "abc"), ("abc", "abd"), ("abc", "abcd"), ("xbc", "abc"),
            (String(repeating: "k", count: 300), String(repeating: "k", count: 44)),
        ]
        for (a, b) in cases {
            #expect(BearerTokens.constantTimeEquals(Array(a.utf8), Array(b.utf8)) == (a == b), "\(a) vs \(b)")
        }
        // Lengths that differ by a multiple of 256 must not look equal.
        let short = [UInt8](repeating: 0, count: 4)
        let long = [UInt8](repeating: 0, count: 260)
        #expect(!BearerTokens.constantTimeEquals(short, long))
    }
}
