import Logging
import NIOCore
public import WeftHTTP2
public import WeftRPC

/// Runs `body` against a real server on `127.0.0.1:0` serving `services`, with a connected client; the server
/// and the client are shut down on every path.
public func withTestServer<T: Sendable>(
    services: [any RPCService],
    config: GRPCServerConfig = .defaults,
    _ body: (_ client: GRPCClient, _ server: GRPCServer, _ port: Int) async throws -> T
) async throws -> T {
    var logger = Logger(label: "weft.test-server")
    logger.logLevel = .critical
    let server = GRPCServer(router: ServiceRouter(services: services), config: config, logger: logger, threads: 1)
    let port: Int
    do {
        port = try await server.bind(host: "127.0.0.1", port: 0).port ?? 0
    } catch {
        await server.close()
        throw error
    }
    let client: GRPCClient
    do {
        client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
    } catch {
        await server.close()
        throw error
    }
    do {
        let result = try await body(client, server, port)
        await client.close()
        await server.close()
        return result
    } catch {
        await client.close()
        await server.close()
        throw error
    }
}
