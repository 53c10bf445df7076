public import WeftEngine
public import WeftHTTP2
import WeftServer

/// Runs `body` against a real server on `127.0.0.1:0` serving `weft.v1.WorkflowService` on a live
/// ``WorkflowEngine`` (the `sim` executor on the real clock, the in-memory event log), with a connected client.
///
/// The engine runs alongside in a task group, as in `WeftServer`; when `body` ends (or throws) the engine is shut
/// down (running workflows are cancelled) and awaited, and the server and client are closed.
public func withWorkflowTestServer<T: Sendable>(
    engineConfig: EngineConfig = .defaults,
    _ body: @Sendable (_ client: GRPCClient, _ engine: WorkflowEngine, _ port: Int) async throws -> T
) async throws -> T {
    let clock = EngineClock.live
    let engine = WorkflowEngine(
        config: engineConfig, executors: ExecutorRegistry(sim: SimExecutor(clock: clock), exec: nil),
        eventLog: InMemoryEventLog(config: engineConfig), clock: clock)
    return try await withRunningEngine(engine, services: [WorkflowService(engine: engine)]) { client, port in
        try await body(client, engine, port)
    }
}
