import MetricsTestKit
import Testing
import WeftHTTP2
import WeftRPC
import WeftTestSupport

/// The transport counts calls by method and status, times them, and tracks connections and calls in flight.
@Suite("Server metrics")
struct ServerMetricsTests {
    static let echo = [("grpc_service", RawEchoService.name), ("grpc_method", "Echo"), ("grpc_type", "unary")]
    static let fail = [("grpc_service", RawEchoService.name), ("grpc_method", "Fail"), ("grpc_type", "unary")]

    @Test("calls move started, handled by code and the handling timer; unknown methods are not counted")
    func callsAreCounted() async throws {
        let metrics = TestMetrics()
        var config = GRPCServerConfig.defaults
        config.metrics = ServerMetrics(factory: metrics)
        try await withTestServer(services: [RawEchoService()], config: config) { client, _, _ in
            for _ in 0..<3 {
                _ = try await client.unary(path: RawEchoService.path("Echo"), request: [1, 2, 3], options: CallOptions())
            }
            await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: RawEchoService.path("Fail"), request: [], options: CallOptions())
            }
            await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: RawEchoService.path("Nope"), request: [], options: CallOptions())
            }
            #expect(try metrics.expectCounter("grpc_server_started_total", Self.echo).totalValue == 3)
            #expect(try metrics.expectCounter("grpc_server_handled_total", Self.echo + [("grpc_code", "OK")]).totalValue == 3)
            #expect(try metrics.expectTimer("grpc_server_handling_seconds", Self.echo).values.count == 3)
            #expect(try metrics.expectCounter("grpc_server_started_total", Self.fail).totalValue == 1)
            #expect(try metrics.expectCounter(
                "grpc_server_handled_total", Self.fail + [("grpc_code", "NotFound")]).totalValue == 1)
            #expect(metrics.counters(label: "grpc_server_started_total").count == 2)
            #expect(try metrics.expectMeter("weft_http2_connections_open").lastValue == 1)
            #expect((try metrics.expectMeter("weft_http2_streams_open").lastValue ?? 0) == 0)
        }
    }
}
