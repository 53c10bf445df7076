/// What a bearer token may call.
public enum TokenRole: String, Sendable, Hashable, CaseIterable {
    /// Every service except `weft.v1.WorkerService`.
    case client
    /// `weft.v1.WorkerService` only.
    case worker
}

/// The accepted bearer tokens, parsed from the token file.
///
/// Format: one token per line as `client:TOKEN` or `worker:TOKEN`; blank lines and lines whose first non-blank
/// character is `#` are ignored; spaces around the role and the token are trimmed. A token is printable ASCII
/// without spaces (what fits an `authorization: Bearer` header). The same token may appear with both roles.
/// Errors name the line, never the token.
public struct BearerTokens: Sendable {
    struct Entry: Sendable {
        var token: [UInt8]
        var role: TokenRole
    }

    private(set) var entries: [Entry]

    /// Tokens and roles as given; the first element of each pair is the token.
    public init(_ tokens: [(String, TokenRole)]) {
        entries = tokens.map { Entry(token: Array($0.0.utf8), role: $0.1) }
    }

    /// Parses a token file's text.
    /// - Throws: ``TokenFileError`` for a line without a known role, an empty or malformed token, or a file with
    ///   no token at all (which would lock every client out).
    public init(parsing text: String, source: String = "token file") throws {
        var entries: [Entry] = []
        var lineNumber = 0
        // `\r\n` is one Character, a newline like `\n`.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"),
                let role = TokenRole(rawValue: String(line[..<colon].trimmingSpaces()).lowercased())
            else {
                throw TokenFileError(message: "\(source) line \(lineNumber): expected client:TOKEN or worker:TOKEN")
            }
            let token = line[line.index(after: colon)...].trimmingSpaces()
            guard !token.isEmpty else {
                throw TokenFileError(message: "\(source) line \(lineNumber): the token is empty")
            }
            guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw TokenFileError(
                    message: "\(source) line \(lineNumber): a token must be printable ASCII without spaces")
            }
            entries.append(Entry(token: Array(token.utf8), role: role))
        }
        guard !entries.isEmpty else { throw TokenFileError(message: "\(source) holds no token") }
        self.entries = entries
    }

    /// The number of accepted tokens (a token listed with both roles counts twice).
    public var count: Int { entries.count }

    /// The roles of `presented`: compared with every token in time that depends only on the lengths, never on
    /// where the first differing byte is, and without stopping at a match.
    public func roles(of presented: [UInt8]) -> Set<TokenRole> {
        var roles = Set<TokenRole>()
        for entry in entries {
            let equal = Self.constantTimeEquals(entry.token, presented)
            if equal { roles.insert(entry.role) }
        }
        return roles
    }

    /// Byte equality that reads every byte of the longer input whatever they hold.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let length = max(a.count, b.count)
        var difference = UInt(bitPattern: a.count ^ b.count)
        for index in 0..<length {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}

/// A token file that cannot be read or parsed. The message names the file and line, never a token.
public struct TokenFileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var cause: (any Error)?

    public init(message: String, cause: (any Error)? = nil) {
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return Substring("")
        }
        return Substring(self[first...last])
    }
}
