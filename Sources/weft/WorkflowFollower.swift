import ArgumentParser
import WeftCLI
import WeftHTTP2
import WeftMessages
import WeftRPC

/// Follows a workflow's events to its end in one of the ``EventView``s, resuming broken streams
/// (``WorkflowWatcher``), on a connection of its own that it replaces after a break.
struct WorkflowFollower {
    var connection: ConnectionOptions
    var view: EventView

    /// Follows `workflowID` from `afterSequence`; returns the exit code of the outcome: 0 when the workflow
    /// completed, 1 when it failed or was cancelled. A watch that fails ends the command with 64 + the gRPC code.
    func follow(workflowID: String, afterSequence: UInt64) async throws -> ExitCode {
        let watcher = WorkflowWatcher(workflowID: workflowID)
        let deadline = connection.timeout.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
        var client: GRPCClient?
        let renderer = view == .live ? LiveRenderer(colors: Terminal.colors) : nil

        func open(_ request: Weft_V1_WatchWorkflowRequest, reconnect: Bool) async throws
            -> ResponseStream<Weft_V1_WorkflowEvent>
        {
            let current: GRPCClient
            if let client, !reconnect {
                current = client
            } else {
                // After a break the old connection may be dead (server restarted, network gone): start afresh.
                await client?.close()
                client = nil
                current = try await connection.connect()
                client = current
            }
            var options = CallOptions()
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { throw RPCError(code: .deadlineExceeded, message: "the watch timed out") }
                options.timeout = remaining
            }
            return current.serverStreaming(WorkflowMethods.watch, request, as: Weft_V1_WorkflowEvent.self, options: options)
        }

        func show(_ event: Weft_V1_WorkflowEvent) {
            switch view {
            case .live: renderer?.handle(event)
            case .lines: Terminal.line(EventLine.format(event))
            case .json: Terminal.line(event.protoJSONText)
            }
        }

        func report(_ interruption: WorkflowWatcher.Interruption) {
            let text =
                "stream interrupted (\(interruption.error)); resuming after seq=\(interruption.afterSequence) "
                + "in \(TextFormat.duration(ms: Self.milliseconds(interruption.backoff))) "
                + "(attempt \(interruption.attempt)/\(interruption.maxAttempts))"
            if let renderer { renderer.notice("weft: " + text) } else { Terminal.error("weft: " + text) }
        }

        let final: Weft_V1_WorkflowEvent
        do {
            final = try await withThrowingTaskGroup(of: Void.self) { group in
                if let renderer {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .milliseconds(100))
                            renderer.tick()
                        }
                    }
                }
                defer { group.cancelAll() }
                return try await watcher.run(
                    afterSequence: afterSequence, open: open, onEvent: show, onInterruption: report)
            }
            renderer?.finish()
            await client?.close()
        } catch {
            renderer?.finish()
            await client?.close()
            throw error is RPCError ? exitWithStatus(error) : error
        }
        if case .workflowCompleted = final.payload { return .success }
        return ExitCode(1)
    }

    private static func milliseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
