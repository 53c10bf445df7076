import Foundation
import Synchronization
import WeftEngine
import WeftRedis

/// Event logs, engines and events for the Redis event log tests.
enum WorkflowFixtures {
    /// A layout no other test uses, so the active set is this test's alone.
    static func layout() -> RedisWorkflowLayout {
        let prefix = TestRedis.uniquePrefix("wf")
        return RedisWorkflowLayout(eventPrefix: "\(prefix):events", statePrefix: "\(prefix):state")
    }

    static func settings(_ layout: RedisWorkflowLayout, writeBufferLimit: Int = 10_000) -> RedisEventLog.Settings {
        var settings = RedisEventLog.Settings()
        settings.layout = layout
        settings.writeBufferLimit = writeBufferLimit
        settings.probeInterval = .milliseconds(50)
        settings.watchPollInterval = .milliseconds(200)
        settings.retention = .seconds(120)
        return settings
    }

    static func spec(_ count: Int, durationMs: Int = 50) -> WorkflowSpec {
        WorkflowSpec(
            description: "redis test", constraints: ["language": "swift"],
            tasks: (0..<count).map { TaskSpec(id: "t\($0)", executor: "sim", input: "{\"duration_ms\": \(durationMs)}") },
            options: WorkflowOptions(maxParallel: 3, cache: CacheOptions(disabled: true)))
    }

    static func engine(_ log: RedisEventLog) -> WorkflowEngine {
        WorkflowEngine(
            executors: ExecutorRegistry(sim: SimExecutor(clock: .live), exec: nil), eventLog: log, store: log)
    }

    /// Every event of a stream until it ends, or what was read when `timeout` passed.
    static func collect(_ stream: AsyncThrowingStream<WorkflowEvent, any Error>, timeout: Duration = .seconds(20))
        async throws -> [WorkflowEvent]
    {
        try await withThrowingTaskGroup(of: [WorkflowEvent]?.self) { group in
            group.addTask {
                var events: [WorkflowEvent] = []
                for try await event in stream { events.append(event) }
                return events
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let events = first else { throw TestRedis.Unavailable(description: "the stream did not end in \(timeout)") }
            return events
        }
    }
}

/// Runs an event log's writer while `body` runs.
@discardableResult
func withRunning<Result: Sendable>(
    _ logs: [RedisEventLog], engines: [WorkflowEngine] = [], _ body: () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for log in logs { group.addTask { await log.run() } }
        for engine in engines { group.addTask { await engine.run() } }
        do {
            let result = try await body()
            for engine in engines { engine.shutdown(reason: "test over") }
            group.cancelAll()
            return result
        } catch {
            for engine in engines { engine.shutdown(reason: "test over") }
            group.cancelAll()
            throw error
        }
    }
}
