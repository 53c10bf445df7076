import ArgumentParser
import WeftCLI
import WeftMessages

extension Weft {
    /// `weft cancel ID`: cancels a workflow.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a workflow: running tasks are cancelled, pending ones marked CANCELLED.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The workflow id.")
        var workflowID: String

        @Option(help: "Why; shown in the workflow_cancelled event.")
        var reason = ""

        func run() async throws {
            let response = try await connection.withClient { client in
                try await client.unary(
                    WorkflowMethods.cancel, Weft_V1_CancelWorkflowRequest(workflowID: workflowID, reason: reason),
                    as: Weft_V1_CancelWorkflowResponse.self, options: connection.callOptions)
            }
            Terminal.line("\(workflowID) \(response.status.shortName)")
        }
    }
}
