import Testing
import WeftRedis

/// Tests that stop and restart Redis: each starts a redis-server of its own on another free port.
@Suite("Reconnection after a Redis restart", .enabled(if: TestRedis.ownServerTestsEnabled, TestRedis.ownServerDisabled))
struct RedisRestartTests {
    @Test("commands fail fast while Redis is down and succeed again after it restarts")
    func reconnect() async throws {
        let server = try await RedisServerProcess()
        let client = RedisClient(configuration: server.configuration())
        defer { client.shutdown() }
        #expect(try await client.command("SET", "k", "before") == .status("OK"))

        await server.stop()
        await #expect {
            try await client.command("GET", "k")
        } throws: { error in
            (error as? RedisError)?.kind == .connection
        }
        // While the backoff runs, commands fail without waiting for a connection attempt.
        var durations: [Duration] = []
        for _ in 0..<20 {
            durations.append(
                await elapsed {
                    await #expect(throws: RedisError.self) { try await client.command("PING") }
                }
            )
        }
        #expect(median(durations) < .milliseconds(100))

        try await server.start()
        // The backoff is at most 5 s; the client is back well within 10 s.
        #expect(await eventually(timeout: .seconds(10)) { (try? await client.command("PING")) == .status("PONG") })
        // Every pooled connection was replaced: nothing fails on a stale socket.
        for _ in 0..<10 {
            #expect(try await client.command("GET", "k") == .null)  // a fresh server without persistence
        }
    }

    @Test("an idle pooled connection closed by a restart is replaced before it is used")
    func staleConnection() async throws {
        let server = try await RedisServerProcess()
        let client = RedisClient(configuration: server.configuration(poolSize: 1))
        defer { client.shutdown() }
        #expect(try await client.command("PING") == .status("PONG"))
        await server.stop()
        try await server.start()
        // The only connection in the pool is dead; the client notices before sending and reconnects.
        #expect(try await client.command("PING") == .status("PONG"))
    }

    @Test("the subscriber reconnects and subscribes again after a restart")
    func resubscribe() async throws {
        let server = try await RedisServerProcess()
        let client = RedisClient(configuration: server.configuration())
        let subscriber = RedisSubscriber(configuration: server.configuration())
        defer {
            subscriber.shutdown()
            client.shutdown()
        }
        let subscription = subscriber.subscribe(channels: ["weft:test:events"], patterns: ["weft:test:p:*"])
        let messages = MessageCollector(subscription)
        #expect(await subscription.waitUntilActive(timeout: .seconds(5)))
        _ = try await client.command("PUBLISH", "weft:test:events", "one")
        #expect(await eventually(timeout: .seconds(5)) { messages.texts == ["one"] })

        await server.stop()
        #expect(await eventually(timeout: .seconds(5)) { !subscriber.isConnected })
        #expect(await subscription.waitUntilActive(timeout: .milliseconds(50)) == false)
        try await server.start()
        #expect(await subscription.waitUntilActive(timeout: .seconds(10)))
        #expect(
            await eventually(timeout: .seconds(10)) {
                (try? await client.command("PUBLISH", "weft:test:events", "two")) == .integer(1)
            }
        )
        _ = try await client.command("PUBLISH", "weft:test:p:x", "three")
        #expect(await eventually(timeout: .seconds(5)) { messages.texts == ["one", "two", "three"] })
    }

    @Test("a subscriber started while Redis is down subscribes once it is up")
    func subscribeBeforeRedis() async throws {
        let server = try await RedisServerProcess()
        await server.stop()
        let subscriber = RedisSubscriber(configuration: server.configuration())
        defer { subscriber.shutdown() }
        let subscription = subscriber.subscribe(channels: ["weft:test:late"])
        let messages = MessageCollector(subscription)
        #expect(await subscription.waitUntilActive(timeout: .milliseconds(100)) == false)
        try await server.start()
        #expect(await subscription.waitUntilActive(timeout: .seconds(10)))
        let client = RedisClient(configuration: server.configuration())
        defer { client.shutdown() }
        #expect(try await client.command("PUBLISH", "weft:test:late", "hello") == .integer(1))
        #expect(await eventually(timeout: .seconds(5)) { messages.texts == ["hello"] })
    }
}
