import MetricsTestKit
import NIOCore
import Testing
@testable import WeftHTTP2
import WeftRPC
import WeftTestSupport

/// Idle and age limits, keepalive pings, the client ping policy and the connection cap, driven in the virtual
/// time of an `EmbeddedEventLoop` with hand-built client frames.
@Suite("Connection management")
struct ConnectionManagementTests {
    /// A config with only the given connection settings on: keepalive off unless asked for.
    private static func config(_ change: (inout ConnectionManagement) -> Void) -> GRPCServerConfig {
        var config = GRPCServerConfig.defaults
        var connections = ConnectionManagement.defaults
        connections.keepaliveInterval = nil
        change(&connections)
        config.connections = connections
        return config
    }

    private static let echoFields = HTTP2Frame.grpcRequestFields(path: RawEchoService.path("Echo"))

    /// Opens the connection and stream 1 with request HEADERS only: the stream stays open, no handler runs.
    private func open(_ server: EmbeddedServer, withStream: Bool = false) throws {
        try server.receive(HTTP2Frame.clientPreface + HTTP2Frame.settings().bytes)
        try server.receive(HTTP2Frame.settingsAck.bytes)
        if withStream { try server.receive(HTTP2Frame.headers(streamID: 1, fields: Self.echoFields).bytes) }
        try server.takeOutput()
    }

    private func advance(_ server: EmbeddedServer, _ amount: TimeAmount) throws {
        server.channel.embeddedEventLoop.advanceTime(by: amount)
        try server.takeOutput()
    }

    private func goaways(_ server: EmbeddedServer) -> [HTTP2Frame] {
        server.frames.filter { $0.kind == .goaway }
    }

    private func debugData(_ goaway: HTTP2Frame) -> String {
        String(decoding: goaway.payload.dropFirst(8), as: UTF8.self)
    }

    /// Answers the server's drain PING (opaque data zero) as a client does.
    private func ackDrainPing(_ server: EmbeddedServer) throws {
        #expect(server.frames.contains { $0.kind == .ping && !$0.has(flag: HTTP2Frame.ack) && $0.payload == [UInt8](repeating: 0, count: 8) })
        try server.receive(HTTP2Frame.ping(0, ack: true).bytes)
        try server.takeOutput()
    }

    @Test("an idle connection gets the GOAWAY notice, then GOAWAY NO_ERROR max_idle, and closes; only after max idle")
    func idleGoaway() throws {
        let metrics = TestMetrics()
        var config = Self.config { $0.maxIdle = .seconds(10) }
        config.metrics = ServerMetrics(factory: metrics)
        let server = try EmbeddedServer(services: [RawEchoService()], config: config)
        defer { server.finish() }
        try open(server)
        try advance(server, .seconds(9))
        #expect(goaways(server).isEmpty)
        try advance(server, .seconds(2))
        #expect(goaways(server).first?.lastStreamID == 0x7FFF_FFFF)
        try ackDrainPing(server)
        let final = try #require(goaways(server).last)
        #expect(goaways(server).count == 2)
        #expect(final.errorCode == HTTP2Frame.noError)
        #expect(debugData(final) == "max_idle")
        #expect(!server.channel.isActive)
        #expect(try metrics.expectCounter("weft_http2_goaways_total", [("cause", "max_idle")]).totalValue == 1)
    }

    @Test("an open stream keeps a connection from idling; the idle period starts when the last stream closes")
    func idleCountsFromLastStream() throws {
        let server = try EmbeddedServer(services: [RawEchoService()], config: Self.config { $0.maxIdle = .seconds(10) })
        defer { server.finish() }
        try open(server, withStream: true)
        try advance(server, .seconds(25))
        #expect(goaways(server).isEmpty)
        try server.receive(HTTP2Frame.rstStream(streamID: 1).bytes)
        try advance(server, .seconds(9))
        #expect(goaways(server).isEmpty)
        // The notice (the final GOAWAY follows the PING ACK or, 1 s later, its timeout).
        try advance(server, .milliseconds(1500))
        #expect(goaways(server).count == 1)
        #expect(server.channel.isActive)
    }

    @Test("max age: GOAWAY within ±10% of the age, max_age in the final GOAWAY, open streams cut after the grace")
    func ageGoawayWithGrace() throws {
        let metrics = TestMetrics()
        var config = Self.config {
            $0.maxAge = .seconds(100)
            $0.maxAgeGrace = .seconds(10)
        }
        config.metrics = ServerMetrics(factory: metrics)
        let server = try EmbeddedServer(services: [RawEchoService()], config: config)
        defer { server.finish() }
        try open(server, withStream: true)
        try advance(server, .seconds(89))
        #expect(goaways(server).isEmpty)
        var elapsed = 89.0
        while goaways(server).isEmpty && elapsed < 112 {
            try advance(server, .milliseconds(100))
            elapsed += 0.1
        }
        #expect((90...110.1).contains(elapsed))
        #expect(goaways(server).count == 1)
        try ackDrainPing(server)
        let final = try #require(goaways(server).last)
        #expect(debugData(final) == "max_age")
        #expect(final.lastStreamID == 1)
        // Stream 1 is still open: the connection stays up through the grace period, then the stream is cut.
        #expect(server.channel.isActive)
        #expect(!server.frames.contains { $0.kind == .rstStream })
        try advance(server, .seconds(10))
        #expect(server.frames.contains { $0.kind == .rstStream && $0.streamID == 1 && $0.errorCode == HTTP2Frame.cancel })
        #expect(!server.channel.isActive)
        #expect(try metrics.expectCounter("weft_http2_goaways_total", [("cause", "max_age")]).totalValue == 1)
        #expect(try metrics.expectCounter("weft_http2_resets_total", [("cause", "max_age")]).totalValue == 1)
    }

    @Test("max age with nothing open closes right after the final GOAWAY")
    func ageGoawayIdleConnection() throws {
        let server = try EmbeddedServer(services: [RawEchoService()], config: Self.config { $0.maxAge = .seconds(1) })
        defer { server.finish() }
        try open(server)
        try advance(server, .milliseconds(1100))
        try ackDrainPing(server)
        #expect(goaways(server).last.map(debugData) == "max_age")
        #expect(!server.channel.isActive)
    }

    @Test("keepalive: a PING after the interval without reads; an ACK keeps the connection, none closes it")
    func keepalive() throws {
        let metrics = TestMetrics()
        var config = Self.config {
            $0.keepaliveInterval = .seconds(60)
            $0.keepaliveTimeout = .seconds(10)
        }
        config.metrics = ServerMetrics(factory: metrics)
        let server = try EmbeddedServer(services: [RawEchoService()], config: config)
        defer { server.finish() }
        try open(server)
        // Reads during the interval postpone the PING.
        try advance(server, .seconds(59))
        try server.receive(HTTP2Frame.windowUpdate(increment: 1).bytes)
        try advance(server, .seconds(2))
        let payload = Array("weftkeep".utf8)
        #expect(!server.frames.contains { $0.kind == .ping && $0.payload == payload })
        try advance(server, .seconds(60))
        #expect(server.frames.filter { $0.kind == .ping && $0.payload == payload }.count == 1)
        try server.receive(HTTP2Frame(.ping, flags: HTTP2Frame.ack, payload: payload).bytes)
        try advance(server, .seconds(30))
        #expect(server.channel.isActive)
        #expect(goaways(server).isEmpty)
        try advance(server, .milliseconds(30_500))
        #expect(server.frames.filter { $0.kind == .ping && $0.payload == payload }.count == 2)
        try advance(server, .seconds(9))
        #expect(server.channel.isActive)
        try advance(server, .seconds(2))
        let goaway = try #require(goaways(server).first)
        #expect(debugData(goaway) == "keepalive_timeout")
        #expect(!server.channel.isActive)
        #expect(try metrics.expectCounter("weft_http2_goaways_total", [("cause", "keepalive_timeout")]).totalValue == 1)
    }

    @Test("default policy: a client pinging every second for a minute, and a burst of 100 PINGs, is not disconnected")
    func lenientPingPolicy() throws {
        let server = try EmbeddedServer(services: [RawEchoService()])
        defer { server.finish() }
        try open(server)
        for second in 0..<60 {
            try server.receive(HTTP2Frame.ping(UInt64(second)).bytes)
            try advance(server, .seconds(1))
        }
        for index in 0..<100 { try server.receive(HTTP2Frame.ping(UInt64(index)).bytes) }
        try server.takeOutput()
        #expect(server.frames.filter { $0.kind == .ping && $0.has(flag: HTTP2Frame.ack) }.count == 160)
        #expect(goaways(server).isEmpty)
        #expect(server.channel.isActive)
    }

    @Test("strict policy: the PING after the strikes gets GOAWAY ENHANCE_YOUR_CALM too_many_pings and a close")
    func strictPingPolicy() throws {
        let metrics = TestMetrics()
        var config = Self.config {
            $0.minClientPingInterval = .seconds(10)
            $0.maxPingStrikes = 2
        }
        config.metrics = ServerMetrics(factory: metrics)
        let server = try EmbeddedServer(services: [RawEchoService()], config: config)
        defer { server.finish() }
        try open(server)
        // Pings at least the minimum apart are fine however many there are.
        for index in 0..<3 {
            try server.receive(HTTP2Frame.ping(UInt64(index)).bytes)
            try advance(server, .seconds(10))
        }
        for index in 0..<3 {
            try server.receive(HTTP2Frame.ping(UInt64(index)).bytes)
            try advance(server, .seconds(1))
            #expect(server.channel.isActive, "strike \(index)")
        }
        try server.receive(HTTP2Frame.ping(9).bytes)
        try server.takeOutput()
        let goaway = try #require(goaways(server).first)
        #expect(goaway.errorCode == 0xB)
        #expect(debugData(goaway) == "too_many_pings")
        #expect(!server.channel.isActive)
        #expect(try metrics.expectCounter("weft_http2_goaways_total", [("cause", "too_many_pings")]).totalValue == 1)
    }

    @Test("strikes are forgiven when the server sends a response")
    func strikesForgiven() throws {
        let config = Self.config {
            $0.minClientPingInterval = .seconds(10)
            $0.maxPingStrikes = 2
        }
        let server = try EmbeddedServer(services: [RawEchoService()], config: config)
        defer { server.finish() }
        try open(server)
        for round in 0..<3 {
            try server.receive(HTTP2Frame.ping(1).bytes + HTTP2Frame.ping(2).bytes)
            let id = UInt32(2 * round + 1)
            try server.receive(
                HTTP2Frame.headers(streamID: id, fields: Self.echoFields).bytes
                    + HTTP2Frame.data(streamID: id, grpcFramed([7]), endStream: true).bytes)
            try server.takeOutput()
        }
        #expect(server.channel.isActive)
        #expect(goaways(server).isEmpty)
    }

    @Test("connection cap: one more connection gets SETTINGS then GOAWAY connection_limit; a slot frees on close")
    func connectionCap() throws {
        let metrics = TestMetrics()
        var config = Self.config { $0.maxConnections = 1 }
        config.metrics = ServerMetrics(factory: metrics)
        let registry = ConnectionRegistry()
        let first = try EmbeddedServer(services: [RawEchoService()], config: config, registry: registry)
        try open(first)
        let second = try EmbeddedServer(services: [RawEchoService()], config: config, registry: registry)
        defer { second.finish() }
        try second.takeOutput()
        #expect(second.frames.first?.kind == .settings)
        #expect(!second.frames.contains { $0.kind == .headers })
        let goaway = try #require(goaways(second).first)
        #expect(goaway.lastStreamID == 0)
        #expect(goaway.errorCode == HTTP2Frame.noError)
        #expect(debugData(goaway) == "connection_limit")
        // Closed once the client's preface is read.
        try second.receive(HTTP2Frame.clientPreface + HTTP2Frame.settings().bytes)
        #expect(!second.channel.isActive)
        #expect(first.channel.isActive)
        #expect(registry.count == 1)
        #expect(try metrics.expectCounter("weft_http2_goaways_total", [("cause", "connection_limit")]).totalValue == 1)
        first.finish()
        #expect(registry.count == 0)
        let third = try EmbeddedServer(services: [RawEchoService()], config: config, registry: registry)
        defer { third.finish() }
        try open(third)
        #expect(goaways(third).isEmpty)
        #expect(registry.count == 1)
    }

    @Test("a refused connection whose client sends nothing is closed after the GOAWAY notice timeout")
    func refusedConnectionTimesOut() throws {
        let registry = ConnectionRegistry()
        let config = Self.config { $0.maxConnections = 1 }
        let first = try EmbeddedServer(services: [RawEchoService()], config: config, registry: registry)
        defer { first.finish() }
        let second = try EmbeddedServer(services: [RawEchoService()], config: config, registry: registry)
        defer { second.finish() }
        #expect(second.channel.isActive)
        try advance(second, .seconds(1))
        #expect(!second.channel.isActive)
    }

    @Test("handler cap: SETTINGS_MAX_CONCURRENT_STREAMS is advertised; a stream beyond the running handlers is refused")
    func handlerCap() throws {
        var config = Self.config { _ in }
        config.maxConcurrentStreams = 5
        config.maxRunningHandlersPerConnection = 0
        let server = try EmbeddedServer(services: [RawEchoService()], config: config)
        defer { server.finish() }
        try open(server)
        let settings = try #require(server.frames.first { $0.kind == .settings && !$0.has(flag: HTTP2Frame.ack) })
        var maxConcurrentStreams: UInt32?
        for offset in stride(from: 0, to: settings.payload.count, by: 6) {
            let bytes = Array(settings.payload[offset..<(offset + 6)])
            let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            var value: UInt32 = 0
            for byte in bytes[2...] { value = value << 8 | UInt32(byte) }
            if id == 0x3 { maxConcurrentStreams = value }
        }
        #expect(maxConcurrentStreams == 5)
        try server.receive(
            HTTP2Frame.headers(streamID: 1, fields: Self.echoFields).bytes
                + HTTP2Frame.data(streamID: 1, grpcFramed([7]), endStream: true).bytes)
        try server.takeOutput()
        #expect(server.frames.contains { $0.kind == .rstStream && $0.streamID == 1 && $0.errorCode == 0x7 })
        #expect(server.channel.isActive)
    }
}
