import MetricsTestKit
import Synchronization
import Testing
import WeftRedis

@Suite(
    "RedisClient against the shared redis-server",
    .enabled(if: TestRedis.sharedServerTestsEnabled, TestRedis.sharedServerDisabled)
)
struct RedisClientTests {
    @Test("PING answers PONG")
    func ping() async throws {
        let client = RedisClient(configuration: try TestRedis.configuration())
        defer { client.shutdown() }
        #expect(try await client.command("PING") == .status("PONG"))
    }

    @Test("SET and GET are binary-safe: NUL bytes in keys and values survive")
    func binarySafe() async throws {
        let client = RedisClient(configuration: try TestRedis.configuration())
        defer { client.shutdown() }
        let key = RedisArgument(Array(TestRedis.uniquePrefix().utf8) + [0, 0x6B, 0, 0xFF])
        let value: [UInt8] = [0, 1, 2, 0, 255, 0x0D, 0x0A, 0, 0x24, 0x2A]
        #expect(try await client.command("SET", key, RedisArgument(value), "PX", 60_000) == .status("OK"))
        #expect(try await client.command("GET", key) == .string(value))
        #expect(try await client.command("STRLEN", key) == .integer(Int64(value.count)))
        #expect(try await client.command(["SET", key, RedisArgument([UInt8]())]) == .status("OK"))
        #expect(try await client.command("GET", key) == .string([]))
        #expect(try await client.command("DEL", key) == .integer(1))
        #expect(try await client.command("GET", key) == .null)
    }

    @Test("an error reply throws a server error and leaves the connection usable")
    func serverError() async throws {
        let client = RedisClient(configuration: try TestRedis.configuration(poolSize: 1))
        defer { client.shutdown() }
        let key = RedisArgument(TestRedis.uniquePrefix())
        _ = try await client.command("SET", key, "text", "PX", 60_000)
        await #expect {
            try await client.command("INCR", key)
        } throws: { error in
            (error as? RedisError)?.kind == .server
        }
        await #expect {
            try await client.command("NO-SUCH-COMMAND")
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .server && error.message.contains("unknown command")
        }
        #expect(try await client.command("GET", key) == .string(Array("text".utf8)))
        _ = try await client.command("DEL", key)
    }

    @Test("a pipeline returns every reply in order, error replies in their place")
    func pipeline() async throws {
        let client = RedisClient(configuration: try TestRedis.configuration())
        defer { client.shutdown() }
        let key = RedisArgument(TestRedis.uniquePrefix())
        var commands: [[RedisArgument]] = [["DEL", key]]
        for _ in 0..<500 { commands.append(["INCR", key]) }
        commands.append(["HGET", key, "field"])  // WRONGTYPE
        commands.append(["GET", key])
        commands.append(["DEL", key])
        let replies = try await client.pipeline(commands)
        #expect(replies.count == commands.count)
        #expect(replies[1] == .integer(1))
        #expect(replies[500] == .integer(500))
        guard case .error(let message) = replies[501] else {
            Issue.record("expected an error reply, got \(replies[501])")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        #expect(replies[502] == .string(Array("500".utf8)))
        #expect(replies[503] == .integer(1))
        #expect(try await client.pipeline([]) == [])
    }

    @Test("arrays, integers and nils are converted")
    func replyShapes() async throws {
        let client = RedisClient(configuration: try TestRedis.configuration())
        defer { client.shutdown() }
        let key = RedisArgument(TestRedis.uniquePrefix())
        _ = try await client.command("RPUSH", key, "a", RedisArgument([0, 98]), "c")
        _ = try await client.command("PEXPIRE", key, 60_000)
        #expect(
            try await client.command("LRANGE", key, 0, -1) == .array([.string([97]), .string([0, 98]), .string([99])])
        )
        #expect(try await client.command("MGET", key, "\(TestRedis.uniquePrefix()):missing") == .array([.null, .null]))
        let ttl = try await client.command("PTTL", key).integer
        #expect(ttl.map { $0 > 0 && $0 <= 60_000 } == true)
        _ = try await client.command("DEL", key)
    }

    @Test("a command longer than the command timeout fails with a timeout, and the client recovers")
    func commandTimeout() async throws {
        let client = RedisClient(
            configuration: try TestRedis.configuration(commandTimeout: .milliseconds(100), poolSize: 1)
        )
        defer { client.shutdown() }
        #expect(try await client.command("PING") == .status("PONG"))
        // BLPOP blocks only this connection, so the shared server stays available to other tests. Without the
        // timeout it would answer nil after 2 s; the timeout error proves the client gave up first.
        await #expect {
            try await client.command("BLPOP", RedisArgument(TestRedis.uniquePrefix("empty")), 2)
        } throws: { error in
            (error as? RedisError)?.kind == .timeout
        }
        // The timed-out connection was dropped; the next command gets a fresh one.
        #expect(try await client.command("PING") == .status("PONG"))
    }

    @Test("many concurrent commands share the pool")
    func concurrency() async throws {
        let client = RedisClient(configuration: try TestRedis.configuration(poolSize: 4))
        defer { client.shutdown() }
        let key = RedisArgument(TestRedis.uniquePrefix())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<400 {
                group.addTask { _ = try await client.command("INCR", key) }
            }
            try await group.waitForAll()
        }
        #expect(try await client.command("GET", key).integer == 400)
        _ = try await client.command("DEL", key)
    }

    @Test("after shutdown commands fail at once with a connection error")
    func shutdown() async throws {
        let client = RedisClient(configuration: try TestRedis.configuration())
        _ = try await client.command("PING")
        client.shutdown()
        client.shutdown()
        await #expect {
            try await client.command("PING")
        } throws: { error in
            (error as? RedisError)?.kind == .connection
        }
    }

    @Test("pub/sub delivers channel and pattern messages, binary payloads intact")
    func publishSubscribe() async throws {
        let configuration = try TestRedis.configuration()
        let client = RedisClient(configuration: configuration)
        let subscriber = RedisSubscriber(configuration: configuration)
        defer {
            subscriber.shutdown()
            client.shutdown()
        }
        let prefix = TestRedis.uniquePrefix("channel")
        let exact = subscriber.subscribe(channels: ["\(prefix):a"])
        let pattern = subscriber.subscribe(patterns: ["\(prefix):*"])
        let exactMessages = MessageCollector(exact)
        let patternMessages = MessageCollector(pattern)
        #expect(await exact.waitUntilActive(timeout: .seconds(5)))
        #expect(await pattern.waitUntilActive(timeout: .seconds(5)))

        #expect(try await client.command("PUBLISH", "\(prefix):a", RedisArgument([0, 1, 2])) == .integer(2))
        #expect(try await client.command("PUBLISH", "\(prefix):b", "second") == .integer(1))
        #expect(await eventually(timeout: .seconds(5)) { patternMessages.messages.count == 2 })
        #expect(exactMessages.messages == [RedisPubSubMessage(channel: "\(prefix):a", payload: [0, 1, 2])])
        #expect(patternMessages.messages.map(\.channel) == ["\(prefix):a", "\(prefix):b"])
        #expect(patternMessages.messages.allSatisfy { $0.pattern == "\(prefix):*" })

        // Cancelling one subscription unsubscribes its channel; the pattern keeps receiving.
        exact.cancel()
        #expect(
            await eventually(timeout: .seconds(5)) {
                (try? await client.command("PUBSUB", "NUMSUB", "\(prefix):a"))?.array?.last == .integer(0)
            }
        )
        #expect(try await client.command("PUBLISH", "\(prefix):a", "third") == .integer(1))
        #expect(await eventually(timeout: .seconds(5)) { patternMessages.texts.last == "third" })

        subscriber.shutdown()
        #expect(await eventually(timeout: .seconds(5)) { !subscriber.isConnected })
    }
}

/// The client's command metrics, on a test factory.
@Suite("RedisClient metrics", .enabled(if: TestRedis.sharedServerTestsEnabled, TestRedis.sharedServerDisabled))
struct RedisClientMetricsTests {
    @Test("each command is timed by name, a pipeline as PIPELINE, and error replies count as errors")
    func commandsAreTimed() async throws {
        let metrics = TestMetrics()
        let client = RedisClient(configuration: try TestRedis.configuration(), metrics: metrics)
        defer { client.shutdown() }
        _ = try await client.command("PING")
        _ = try await client.command("ping")
        _ = try await client.pipeline([["PING"], ["PING"]])
        await #expect(throws: RedisError.self) { _ = try await client.command("NOSUCHCOMMAND") }
        #expect(try metrics.expectTimer("weft_redis_command_duration_seconds", [("command", "PING")]).values.count == 2)
        #expect(try metrics.expectTimer("weft_redis_command_duration_seconds", [("command", "PIPELINE")]).values.count == 1)
        #expect(try metrics.expectCounter(
            "weft_redis_command_errors_total", [("command", "NOSUCHCOMMAND"), ("kind", "server")]).totalValue == 1)
    }
}
