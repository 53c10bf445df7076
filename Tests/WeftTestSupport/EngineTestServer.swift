public import WeftEngine
public import WeftHTTP2
public import WeftRPC

/// Runs `engine` alongside a real server on `127.0.0.1:0` serving `services`, with a connected client, as
/// `WeftServer` does; when `body` ends (or throws) the engine is shut down (running workflows are cancelled) and
/// awaited, and the server and client are closed.
public func withRunningEngine<T: Sendable>(
    _ engine: WorkflowEngine,
    services: [any RPCService],
    _ body: @Sendable (_ client: GRPCClient, _ port: Int) async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await engine.run()
            return nil
        }
        defer { engine.shutdown(reason: "the test is over") }
        let result = try await withTestServer(services: services) { client, _, port in
            try await body(client, port)
        }
        engine.shutdown(reason: "the test is over")
        while try await group.next() != nil {}
        return result
    }
}
