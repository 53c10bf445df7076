import ArgumentParser
import WeftCLI
import WeftMessages

extension Weft {
    /// `weft get ID`: a workflow's snapshot.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a workflow's snapshot: status, progress, each task's state, timings and errors.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The workflow id.")
        var workflowID: String

        @Flag(help: "Print the GetWorkflowResponse as JSON (proto3 JSON mapping).")
        var json = false

        func run() async throws {
            let response = try await connection.withClient { client in
                try await client.unary(
                    WorkflowMethods.get, Weft_V1_GetWorkflowRequest(workflowID: workflowID),
                    as: Weft_V1_GetWorkflowResponse.self, options: connection.callOptions)
            }
            if json {
                Terminal.line(response.protoJSONText)
            } else {
                WorkflowText.snapshot(response).forEach { Terminal.line($0) }
            }
        }
    }
}
