public import WeftEngine
public import WeftHTTP2
import WeftRPC
import WeftServer

/// Runs `body` against a real server on `127.0.0.1:0` serving `weft.v1.WorkflowService` and
/// `weft.v1.WorkerService` on a live ``WorkflowEngine`` whose `queue:NAME` tasks go to an
/// ``InMemoryActivityBroker`` (the real clock), with a connected client.
///
/// When `body` ends (or throws) the engine is shut down (running workflows are cancelled) and awaited, and the
/// server and client are closed.
public func withWorkerTestServer<T: Sendable>(
    engineConfig: EngineConfig = .defaults,
    brokerConfig: ActivityBrokerConfig = .defaults,
    _ body: @Sendable (_ client: GRPCClient, _ engine: WorkflowEngine, _ broker: InMemoryActivityBroker) async throws -> T
) async throws -> T {
    let clock = EngineClock.live
    let broker = InMemoryActivityBroker(config: brokerConfig, clock: clock)
    let engine = WorkflowEngine(
        config: engineConfig,
        executors: ExecutorRegistry(sim: SimExecutor(clock: clock), exec: nil, broker: broker),
        eventLog: InMemoryEventLog(config: engineConfig), clock: clock)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await engine.run()
            return nil
        }
        defer { engine.shutdown(reason: "the test is over") }
        let services: [any RPCService] = [WorkflowService(engine: engine), WorkerService(broker: broker)]
        let result = try await withTestServer(services: services) { client, _, _ in
            try await body(client, engine, broker)
        }
        engine.shutdown(reason: "the test is over")
        while try await group.next() != nil {}
        return result
    }
}
