import ArgumentParser
import WeftCLI

extension Weft {
    /// `weft watch ID`: follows a workflow's events.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow a workflow's events until it ends.",
            discussion: """
                On a terminal: a live view (progress bar, running tasks, a line per finished task with its duration \
                and cache outcome, a closing summary). Otherwise one line per event, e.g. \
                `seq=12 task_completed task=login attempt=1 duration=412ms cache=MISS progress=5/10`; with --json \
                one JSON object per event. A broken stream is resumed after the last event seen (up to 6 attempts \
                with backoff). Exits 0 when the workflow completed, 1 when it failed or was cancelled.
                """)

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: EventViewOptions

        @Argument(help: "The workflow id.")
        var workflowID: String

        @Option(help: "Start after this sequence number (0: from the first event).")
        var after: UInt64 = 0

        func run() async throws {
            let code = try await WorkflowFollower(connection: connection, view: output.view)
                .follow(workflowID: workflowID, afterSequence: after)
            if code != .success { throw code }
        }
    }
}
