import Testing
import WeftMessages
import WeftRPC
import WeftTestSupport

@testable import WeftServer

private typealias Request = Grpc_Health_V1_HealthCheckRequest
private typealias Response = Grpc_Health_V1_HealthCheckResponse

@Suite("grpc.health.v1.Health")
struct HealthServiceTests {
    let registry = HealthRegistry()
    var service: HealthService { HealthService(registry: registry) }

    private func check(_ name: String) async throws -> Response.ServingStatus {
        try await service.callUnary("Check", request(name), as: Response.self).status
    }

    private func request(_ name: String) -> Request {
        var request = Request()
        request.service = name
        return request
    }

    /// Starts a Watch of `name` whose responses go to the returned sink.
    private func watch(_ name: String, sink: InMemoryMessageSink = InMemoryMessageSink()) -> Watch {
        let service = self.service
        let request = self.request(name)
        let task = Task { try await service.callServerStreaming("Watch", request, responses: sink) }
        return Watch(sink: sink, task: task)
    }

    private struct Watch {
        let sink: InMemoryMessageSink
        let task: Task<Void, any Error>

        func next() async throws -> Response.ServingStatus {
            let sink = self.sink
            return try await withTimeout(.seconds(10), "the next Watch response") {
                try await sink.next(as: Response.self).status
            }
        }

        /// Cancels the watch, as a client going away does, and returns how it ended.
        func cancel() async -> Result<Void, any Error> {
            task.cancel()
            return await task.result
        }
    }

    @Test("Check reports the whole server's status under the empty name")
    func checkServer() async throws {
        #expect(try await check("") == .serving)
        registry.setStatus(.notServing, for: "")
        #expect(try await check("") == .notServing)
    }

    @Test("Check reports a registered service's status")
    func checkNamed() async throws {
        registry.setStatus(.serving, for: "weft.v1.WorkflowService")
        #expect(try await check("weft.v1.WorkflowService") == .serving)
        registry.setStatus(.notServing, for: "weft.v1.WorkflowService")
        #expect(try await check("weft.v1.WorkflowService") == .notServing)
    }

    @Test("Check of an unregistered name fails with NOT_FOUND naming it")
    func checkUnknown() async throws {
        let error = await #expect(throws: RPCError.self) { try await check("nope.Service") }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("nope.Service") == true)
    }

    @Test("Check is served inline on the transport's thread")
    func checkIsInline() throws {
        guard case .inlineUnary = try service.handler(for: "Check") else {
            Issue.record("Check should be an inline unary handler")
            return
        }
        guard case .serverStreaming = try service.handler(for: "Watch") else {
            Issue.record("Watch should be a server-streaming handler")
            return
        }
    }

    @Test("Watch sends the current status at once, then each change, and ends when the client cancels")
    func watchCurrentThenChanges() async throws {
        let watch = watch("")
        #expect(try await watch.next() == .serving)
        registry.setStatus(.notServing, for: "")
        #expect(try await watch.next() == .notServing)
        registry.setStatus(.serving, for: "")
        #expect(try await watch.next() == .serving)

        let ending = await watch.cancel()
        #expect(throws: (any Error).self) { try ending.get() }
        #expect(registry.watcherCount == 0)
    }

    @Test("Watch does not repeat a status that did not change")
    func watchSkipsUnchanged() async throws {
        let watch = watch("")
        #expect(try await watch.next() == .serving)
        registry.setStatus(.serving, for: "")
        registry.setStatus(.notServing, for: "")
        #expect(try await watch.next() == .notServing)
        _ = await watch.cancel()
        #expect(try watch.sink.decoded(as: Response.self).map(\.status) == [.serving, .notServing])
    }

    @Test("Watch of an unknown name sends SERVICE_UNKNOWN, stays open, and reports the name once registered")
    func watchUnknown() async throws {
        let watch = watch("later.Service")
        #expect(try await watch.next() == .serviceUnknown)
        // Other names changing do not end or disturb the stream.
        registry.setStatus(.notServing, for: "")
        registry.setStatus(.serving, for: "later.Service")
        #expect(try await watch.next() == .serving)
        #expect(try watch.sink.decoded(as: Response.self).map(\.status) == [.serviceUnknown, .serving])
        _ = await watch.cancel()
    }

    @Test("Draining flips every name to NOT_SERVING for Check and Watch, and keeps it there")
    func drain() async throws {
        registry.setStatus(.serving, for: "weft.v1.WorkflowService")
        let watch = watch("weft.v1.WorkflowService")
        #expect(try await watch.next() == .serving)

        registry.enterDrain()
        #expect(registry.isDraining)
        #expect(try await watch.next() == .notServing)
        #expect(try await check("") == .notServing)
        #expect(try await check("weft.v1.WorkflowService") == .notServing)

        registry.setStatus(.serving, for: "")
        registry.setStatus(.serving, for: "weft.v1.WorkerService")
        #expect(try await check("") == .notServing)
        #expect(try await check("weft.v1.WorkerService") == .notServing)
        _ = await watch.cancel()
    }

    @Test("A slow watcher sees only the latest status and holds up neither the registry nor other watchers")
    func slowWatcherCoalesces() async throws {
        let slowSink = InMemoryMessageSink()
        slowSink.pauseWrites()
        let slow = watch("", sink: slowSink)
        let fast = watch("")
        #expect(try await fast.next() == .serving)
        try await waitUntil("the slow watcher's first write to block") { slowSink.blockedWriterCount == 1 }

        for status in [Response.ServingStatus.notServing, .serving, .notServing] {
            registry.setStatus(status, for: "")
            #expect(try await fast.next() == status)
        }

        slowSink.resumeWrites()
        #expect(try await slow.next() == .serving)
        #expect(try await slow.next() == .notServing)
        _ = await slow.cancel()
        #expect(try slowSink.decoded(as: Response.self).map(\.status) == [.serving, .notServing])
        _ = await fast.cancel()
    }

    @Test("Ending all watches ends each stream with UNAVAILABLE, refuses new ones, and leaves Check working")
    func endWatches() async throws {
        let watch = watch("")
        #expect(try await watch.next() == .serving)
        registry.endWatches()

        let ending = await watch.task.result
        let error = #expect(throws: RPCError.self) { try ending.get() }
        #expect(error?.code == .unavailable)
        #expect(error?.message == "server shutting down")

        let late = self.watch("")
        let lateError = await #expect(throws: RPCError.self) { try await late.task.value }
        #expect(lateError?.code == .unavailable)
        #expect(try await check("") == .serving)
        #expect(registry.watcherCount == 0)
    }

    @Test("A watcher sees the drain's NOT_SERVING before its stream ends at shutdown")
    func drainThenEnd() async throws {
        let sink = InMemoryMessageSink()
        sink.pauseWrites()
        let watch = watch("", sink: sink)
        try await waitUntil("the watcher's first write to block") { sink.blockedWriterCount == 1 }
        registry.enterDrain()
        registry.endWatches()
        sink.resumeWrites()

        let error = await #expect(throws: RPCError.self) { try await watch.task.value }
        #expect(error?.code == .unavailable)
        #expect(try sink.decoded(as: Response.self).map(\.status) == [.serving, .notServing])
    }
}
