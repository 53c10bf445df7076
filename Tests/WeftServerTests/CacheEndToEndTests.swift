import Logging
import NIOCore
import Testing
import WeftHTTP2
import WeftMessages
import WeftRPC
import WeftServer
import WeftTestSupport

/// The semantic result cache end to end: the server assembly (`WeftServer`, as weftd builds it: the real
/// `SemanticCache` with the built-in hashing embedder and the in-memory store) on 127.0.0.1, driven over gRPC with
/// the Swift client. `sim` tasks of tens to hundreds of milliseconds on the real clock; each test has its own server,
/// so its cache starts empty.
@Suite("Result cache end to end over 127.0.0.1", .timeLimit(.minutes(2)))
struct CacheEndToEndTests {
    typealias Outcome = Weft_V1_CacheOutcome

    // MARK: The server

    /// Runs `body` with a client connected to a `WeftServer` on 127.0.0.1:0 (cache on, in memory, unless `configure`
    /// says otherwise); the server is stopped (cancelled: the engine and the port shut down) afterwards.
    static func withCacheServer<T: Sendable>(
        _ configure: (inout WeftServerConfig) -> Void = { _ in },
        _ body: (GRPCClient) async throws -> T
    ) async throws -> T {
        var config = WeftServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        config.threads = 1
        config.drainGrace = .milliseconds(500)
        configure(&config)
        var logger = Logger(label: "weft.cache-e2e")
        logger.logLevel = .critical
        let (ports, portInput) = AsyncStream<Int>.makeStream()
        let server = try WeftServer(config: config, logger: logger, onBound: { address in
            portInput.yield(address.port ?? 0)
            portInput.finish()
        })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let port = try await withTimeout(.seconds(10), "the server binds") {
                for await port in ports { return port }
                return 0
            }
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            do {
                let result = try await body(client)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        }
    }

    // MARK: Calls

    static let submitMethod = MethodDescriptor(service: WorkflowService.name, method: "SubmitWorkflow", kind: .unary)
    static let watchMethod = MethodDescriptor(
        service: WorkflowService.name, method: "WatchWorkflow", kind: .serverStreaming)
    static let getMethod = MethodDescriptor(service: WorkflowService.name, method: "GetWorkflow", kind: .unary)

    /// One completed run: its id, every event, and the snapshot after the end.
    struct Run {
        var id: String
        var events: [Weft_V1_WorkflowEvent]
        var snapshot: Weft_V1_GetWorkflowResponse

        /// Each task's result as its `task_completed` event carries it.
        var results: [String: Weft_V1_TaskResult] {
            var results: [String: Weft_V1_TaskResult] = [:]
            for event in events {
                if case .taskCompleted(let completed) = event.payload, let result = completed.result {
                    results[result.taskID] = result
                }
            }
            return results
        }

        var outcomes: [String: Outcome] { results.mapValues { $0.cache?.outcome ?? .unspecified } }

        /// Tasks that had a `task_started` event.
        var started: Set<String> {
            Set(events.compactMap { event in
                if case .taskStarted(let started) = event.payload { return started.taskID }
                return nil
            })
        }

        var completedSummary: Weft_V1_CacheSummary? {
            guard case .workflowCompleted(let completed) = events.last?.payload else { return nil }
            return completed.cache
        }

        /// One line per task for failure messages.
        var trace: String {
            results.sorted { $0.key < $1.key }.map { id, result in
                let hit = result.cache ?? Weft_V1_CacheHit()
                return "\(id): \(hit.outcome) \(hit.similarity) \(hit.sourceTask) attempt \(result.attempt) "
                    + "\(result.durationMs) ms"
            }.joined(separator: "\n")
        }
    }

    /// Submits `tasks` and watches the workflow to its end; fails unless it completed.
    static func run(
        _ client: GRPCClient, _ tasks: [Weft_V1_TaskSpec], constraints: [String: String] = ["language": "python"],
        cache: Weft_V1_CacheOptions? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Run {
        var request = Weft_V1_SubmitWorkflowRequest(description: "cache e2e", constraints: constraints, tasks: tasks)
        if let cache { request.options = Weft_V1_ExecutionOptions(cache: cache) }
        let id = try await client.unary(submitMethod, request, as: Weft_V1_SubmitWorkflowResponse.self).workflowID
        let events = try await withTimeout(.seconds(30), "watching \(id)") {
            var events: [Weft_V1_WorkflowEvent] = []
            for try await event in client.serverStreaming(
                watchMethod, Weft_V1_WatchWorkflowRequest(workflowID: id), as: Weft_V1_WorkflowEvent.self)
            {
                events.append(event)
            }
            return events
        }
        let snapshot = try await client.unary(
            getMethod, Weft_V1_GetWorkflowRequest(workflowID: id), as: Weft_V1_GetWorkflowResponse.self)
        let run = Run(id: id, events: events, snapshot: snapshot)
        #expect(snapshot.status == .completed, "workflow \(id)\n\(run.trace)", sourceLocation: sourceLocation)
        #expect(run.completedSummary != nil, "no workflow_completed\n\(run.trace)", sourceLocation: sourceLocation)
        return run
    }

    /// Equal up to `tolerance` milliseconds.
    static func close(_ a: UInt64, _ b: UInt64, within tolerance: UInt64) -> Bool {
        (a > b ? a - b : b - a) <= tolerance
    }

    // MARK: Workflows

    static func task(
        _ id: String, _ type: String, _ description: String, after dependencies: [String] = [], ms: Int,
        cacheable: Bool? = nil
    ) -> Weft_V1_TaskSpec {
        Weft_V1_TaskSpec(
            id: id, type: type, complexity: .medium, description: description, dependsOn: dependencies,
            executor: "sim", input: "{\"duration_ms\": \(ms)}",
            cacheable: cacheable.map { Google_Protobuf_BoolValue(value: $0) })
    }

    /// A small user-service workflow: four cacheable tasks and one that is not.
    static let workflow: [Weft_V1_TaskSpec] = [
        task("setup", "setup", "Scaffold the FastAPI service with settings and a Dockerfile", ms: 60),
        task("schema", "database", "Users table as SQLAlchemy models with an Alembic migration", after: ["setup"], ms: 80),
        task("login", "api", "Create user login endpoint", after: ["schema"], ms: 800),
        task("docs", "docs", "OpenAPI descriptions for the user endpoints", after: ["setup"], ms: 50),
        task("e2e", "tests", "End-to-end tests against a test database", after: ["login"], ms: 40, cacheable: false),
    ]
    static let cacheable = ["setup", "schema", "login", "docs"]

    /// The same workflow with `login` reworded ("login" → "authentication", similarity ≈ 0.946 with the built-in
    /// embedder: adapt, not reuse) and `docs` turned into something else (a miss).
    static var reworded: [Weft_V1_TaskSpec] {
        var tasks = workflow
        tasks[2].description = "Create user authentication endpoint"
        tasks[3].description = "Export the audit log to CSV every night"
        return tasks
    }

    // MARK: Tests

    @Test("The same workflow twice: the second run reuses every cacheable task without running it")
    func secondRunReuses() async throws {
        try await Self.withCacheServer { client in
            let first = try await Self.run(client, Self.workflow)
            #expect(first.outcomes == ["setup": .miss, "schema": .miss, "login": .miss, "docs": .miss, "e2e": .bypassed],
                    "\(first.trace)")
            #expect(first.snapshot.cache == Weft_V1_CacheSummary(missed: 4))
            #expect(first.completedSummary == first.snapshot.cache)

            let second = try await Self.run(client, Self.workflow)
            #expect(second.outcomes == ["setup": .reused, "schema": .reused, "login": .reused, "docs": .reused,
                                        "e2e": .bypassed], "\(second.trace)")
            // Reused tasks never start: only the uncacheable task ran.
            #expect(second.started == ["e2e"])
            let firstResults = first.results
            for (id, result) in second.results where Self.cacheable.contains(id) {
                #expect(result.cache?.similarity == 1, "\(id)")
                #expect(result.cache?.sourceTask == "\(first.id)/\(id)", "\(id)")
                #expect(result.attempt == 0 && result.durationMs == 0, "\(id)")
                #expect(result.output == firstResults[id]?.output, "\(id): the first run's output")
            }
            // The snapshot agrees: attempt 0, REUSED, the reused output.
            for state in second.snapshot.tasks where Self.cacheable.contains(state.taskID) {
                #expect(state.status == .completed && state.attempt == 0, "\(state.taskID)")
                #expect(state.cache?.outcome == .reused, "\(state.taskID)")
                #expect(state.output == firstResults[state.taskID]?.output, "\(state.taskID)")
            }
            #expect(second.snapshot.tasks.first { $0.taskID == "e2e" }?.cache?.outcome == .bypassed)
            // Time saved: what the reused tasks took the first time.
            // (Events carry whole milliseconds; the summary adds the exact durations, so allow 1 ms per task.)
            let saved = Self.cacheable.compactMap { firstResults[$0]?.durationMs }.reduce(0, +)
            let summary = second.snapshot.cache ?? Weft_V1_CacheSummary()
            #expect(summary.reused == 4 && summary.adapted == 0 && summary.missed == 0)
            #expect(Self.close(summary.timeSavedMs, saved, within: 4), "saved \(summary.timeSavedMs) ms, expected \(saved)")
            #expect(second.completedSummary == second.snapshot.cache)

            // options.cache.disabled: the same workflow runs every task again, BYPASSED.
            let off = try await Self.run(client, Self.workflow, cache: Weft_V1_CacheOptions(disabled: true))
            #expect(off.outcomes.values.allSatisfy { $0 == .bypassed }, "\(off.trace)")
            #expect(off.started == Set(Self.workflow.map(\.id)))
            #expect(off.snapshot.cache == Weft_V1_CacheSummary())
        }
    }

    @Test("A reworded workflow: unchanged tasks REUSED, the paraphrase ADAPTED (similarity in [0.85, 0.95)), the rest MISS")
    func rewordedAdapts() async throws {
        try await Self.withCacheServer { client in
            let first = try await Self.run(client, Self.workflow)
            let second = try await Self.run(client, Self.reworded)
            #expect(second.outcomes == ["setup": .reused, "schema": .reused, "login": .adapted, "docs": .miss,
                                        "e2e": .bypassed], "\(second.trace)")
            let login = try #require(second.results["login"])
            let similarity = try #require(login.cache?.similarity)
            #expect(similarity >= 0.85 && similarity < 0.95, "login similarity \(similarity)")
            #expect(login.cache?.sourceTask == "\(first.id)/login")
            // sim worked with the reference: its output names it, and it took adapt_fraction (0.3) of 800 ms.
            #expect(login.output.hasSuffix("adapted from the result of task \(first.id)/login"), "\(login.output)")
            #expect(login.attempt == 1)
            #expect(login.durationMs >= 240 && login.durationMs < 800, "adapted run took \(login.durationMs) ms")
            #expect(second.started == ["login", "docs", "e2e"])
            #expect(second.results["docs"]?.cache?.similarity == 0)

            let summary = second.snapshot.cache ?? Weft_V1_CacheSummary()
            #expect(summary.reused == 2 && summary.adapted == 1 && summary.missed == 1)
            let firstResults = first.results
            let expectedSaved = (firstResults["setup"]?.durationMs ?? 0) + (firstResults["schema"]?.durationMs ?? 0)
                + (firstResults["login"]?.durationMs ?? 0) - login.durationMs
            #expect(Self.close(summary.timeSavedMs, expectedSaved, within: 4),
                    "saved \(summary.timeSavedMs) ms, expected \(expectedSaved)")
            #expect(second.completedSummary == second.snapshot.cache)

            // The adapted result was stored under its own text: the reworded workflow again is all reuse.
            let third = try await Self.run(client, Self.reworded)
            #expect(third.outcomes == ["setup": .reused, "schema": .reused, "login": .reused, "docs": .reused,
                                       "e2e": .bypassed], "\(third.trace)")
            #expect(third.results["login"]?.cache?.sourceTask == "\(second.id)/login")
        }
    }

    @Test("Namespace isolation: the same workflow with language=go misses everything; python still reuses")
    func namespaceIsolation() async throws {
        try await Self.withCacheServer { client in
            _ = try await Self.run(client, Self.workflow, constraints: ["language": "python"])
            let go = try await Self.run(client, Self.workflow, constraints: ["language": "go"])
            #expect(go.outcomes == ["setup": .miss, "schema": .miss, "login": .miss, "docs": .miss, "e2e": .bypassed],
                    "\(go.trace)")
            #expect(go.results.values.allSatisfy { $0.cache?.similarity == 0 && $0.cache?.sourceTask == "" })
            #expect(go.started == Set(Self.workflow.map(\.id)))
            // An extra constraint is another namespace too.
            let framework = try await Self.run(
                client, Self.workflow, constraints: ["language": "python", "framework": "fastapi"])
            #expect(framework.snapshot.cache == Weft_V1_CacheSummary(missed: 4), "\(framework.trace)")

            let python = try await Self.run(client, Self.workflow, constraints: ["language": "python"])
            #expect(python.snapshot.cache?.reused == 4, "\(python.trace)")
            let goAgain = try await Self.run(client, Self.workflow, constraints: ["language": "go"])
            #expect(goAgain.snapshot.cache?.reused == 4, "\(goAgain.trace)")
            #expect(goAgain.results["login"]?.cache?.sourceTask == "\(go.id)/login")
        }
    }

    @Test("Per-workflow thresholds: a raised adapt threshold turns the paraphrase into a MISS, a lowered reuse threshold into a REUSE")
    func perWorkflowThresholds() async throws {
        try await Self.withCacheServer { client in
            _ = try await Self.run(client, Self.workflow)
            let strict = try await Self.run(
                client, Self.reworded,
                cache: Weft_V1_CacheOptions(similarityThreshold: Google_Protobuf_DoubleValue(value: 0.95)))
            #expect(strict.outcomes["login"] == .miss, "\(strict.trace)")
            #expect(strict.outcomes["setup"] == .reused)
        }
        try await Self.withCacheServer { client in
            let first = try await Self.run(client, Self.workflow)
            let lenient = try await Self.run(
                client, Self.reworded, cache: Weft_V1_CacheOptions(reuseThreshold: Google_Protobuf_DoubleValue(value: 0.9)))
            #expect(lenient.outcomes["login"] == .reused, "\(lenient.trace)")
            #expect(lenient.results["login"]?.cache?.sourceTask == "\(first.id)/login")
            #expect(!lenient.started.contains("login"))
        }
    }

    @Test("Server thresholds (CACHE_REUSE_THRESHOLD, CACHE_SIMILARITY_THRESHOLD) apply when the workflow sets none")
    func serverThresholds() async throws {
        try await Self.withCacheServer({ config in
            config.cache.reuseThreshold = 0.9
            config.cache.similarityThreshold = 0.8
        }) { client in
            _ = try await Self.run(client, Self.workflow)
            let second = try await Self.run(client, Self.reworded)
            #expect(second.outcomes["login"] == .reused, "\(second.trace)")
        }
    }

    @Test("WEFT_CACHE=false: nothing is looked up or stored; every task runs, BYPASSED")
    func cacheOff() async throws {
        try await Self.withCacheServer({ $0.cache.enabled = false }) { client in
            _ = try await Self.run(client, Self.workflow)
            let second = try await Self.run(client, Self.workflow)
            #expect(second.outcomes.values.allSatisfy { $0 == .bypassed }, "\(second.trace)")
            #expect(second.started == Set(Self.workflow.map(\.id)))
            #expect(second.snapshot.cache == Weft_V1_CacheSummary())
        }
    }
}
