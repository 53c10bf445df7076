extension RedisConfiguration {
    /// Parses a `REDIS_URL`: `redis://[[user]:password@]host[:port][/db]`.
    ///
    /// The port defaults to 6379 and the database to 0; an IPv6 host is written in brackets (`redis://[::1]:6379`);
    /// user and password may be percent-encoded. Timeouts, pool size and backoff take their defaults.
    ///
    /// - Throws: ``RedisError`` of kind ``RedisError/Kind/configuration`` naming what is wrong. The message never
    ///   contains the password.
    public init(url: String) throws(RedisError) {
        func invalid(_ reason: String) -> RedisError {
            RedisError(.configuration, "invalid REDIS_URL: \(reason) (expected redis://[:password@]host:port[/db])")
        }
        let scheme = "redis://"
        guard url.lowercased().hasPrefix(scheme) else {
            if url.lowercased().hasPrefix("rediss://") { throw invalid("TLS (rediss://) is not supported") }
            if url.lowercased().hasPrefix("unix://") { throw invalid("Unix sockets (unix://) are not supported") }
            throw invalid("it must start with redis://")
        }
        var rest = Substring(url.dropFirst(scheme.count))
        if rest.contains("?") || rest.contains("#") {
            throw invalid("query parameters and fragments are not supported")
        }

        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                guard let decodedUser = Self.percentDecoded(user),
                    let decodedPassword = Self.percentDecoded(credentials[credentials.index(after: colon)...])
                else { throw invalid("bad percent-encoding in the credentials") }
                username = user.isEmpty ? nil : decodedUser
                password = decodedPassword
            } else {
                // `redis://secret@host`: a lone credential is the password (as redis-cli reads it).
                guard let decoded = Self.percentDecoded(credentials) else {
                    throw invalid("bad percent-encoding in the credentials")
                }
                password = decoded
            }
            if password?.isEmpty == true { password = nil }
        }

        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw invalid("database '\(path)' is not a non-negative integer")
                }
                database = number
            }
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected '\(after)' after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw invalid("the host is missing") }
        var port = 6379
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw invalid("port '\(portText)' is not a number from 1 to 65535")
            }
            port = number
        }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
