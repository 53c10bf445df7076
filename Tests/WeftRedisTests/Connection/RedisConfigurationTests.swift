import Testing
import WeftRedis

@Suite("REDIS_URL parsing")
struct RedisConfigurationTests {
    @Test("a full URL yields host, port, password and database")
    func fullURL() throws {
        let configuration = try RedisConfiguration(url: "redis://:s3cret@cache.internal:6380/2")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.password == "s3cret")
        #expect(configuration.username == nil)
        #expect(configuration.database == 2)
        #expect(!configuration.description.contains("s3cret"))
    }

    @Test("defaults: port 6379, database 0, 2 s command timeout, 4 connections, backoff 100 ms ×2 to 5 s")
    func defaults() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 6379)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
        #expect(configuration.commandTimeout == .seconds(2))
        #expect(configuration.poolSize == 4)
        #expect(
            configuration.reconnectBackoff == .init(initial: .milliseconds(100), multiplier: 2, maximum: .seconds(5))
        )
    }

    @Test("user names, percent-encoded passwords and IPv6 hosts")
    func credentialsAndIPv6() throws {
        let withUser = try RedisConfiguration(url: "redis://weft:p%40ss%3Aword@[::1]:7000/0")
        #expect(withUser.username == "weft")
        #expect(withUser.password == "p@ss:word")
        #expect(withUser.host == "::1")
        #expect(withUser.port == 7000)
        #expect(withUser.description == "redis://weft:***@[::1]:7000")
        let trailingSlash = try RedisConfiguration(url: "REDIS://127.0.0.1:6379/")
        #expect(trailingSlash.database == 0)
    }

    @Test(
        "malformed URLs are refused with a message naming the problem",
        arguments: [
            ("http://localhost:6379", "must start with redis://"),
            ("rediss://localhost:6379", "TLS"),
            ("redis://:6379", "host is missing"),
            ("redis://localhost:0", "port '0'"),
            ("redis://localhost:65536", "port '65536'"),
            ("redis://localhost:abc", "port 'abc'"),
            ("redis://localhost:6379/x", "database 'x'"),
            ("redis://localhost:6379/-1", "database '-1'"),
            ("redis://[::1:6379", "unterminated IPv6"),
            ("redis://localhost:6379?timeout=1", "query"),
            ("redis://:%zz@localhost", "percent-encoding"),
        ]
    )
    func malformed(url: String, expected: String) {
        #expect {
            try RedisConfiguration(url: url)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .configuration && error.message.contains(expected)
        }
    }

    @Test("the password never appears in an error message")
    func passwordNotLeaked() {
        do {
            _ = try RedisConfiguration(url: "redis://:hunter2@host:notaport")
            Issue.record("expected an error")
        } catch {
            #expect(!error.message.contains("hunter2"))
        }
    }
}
