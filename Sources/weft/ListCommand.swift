import ArgumentParser
import WeftCLI
import WeftMessages

extension Weft {
    /// `weft list`: workflows, newest first.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workflows, newest first, one page at a time.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Only workflows in this status: PENDING, RUNNING, COMPLETED, FAILED or CANCELLED.")
        var status: String?

        @Option(help: "Workflows per page (server default 50, at most 1000).")
        var pageSize: UInt32 = 0

        @Option(help: "The page to fetch: the token printed after the previous one.")
        var pageToken = ""

        @Flag(help: "Print the ListWorkflowsResponse as JSON (proto3 JSON mapping).")
        var json = false

        @Flag(name: .shortAndLong, help: "Print only the workflow ids.")
        var quiet = false

        func validate() throws {
            if let status, Weft_V1_WorkflowStatus(name: status) == nil {
                throw ValidationError(
                    "--status must be PENDING, RUNNING, COMPLETED, FAILED or CANCELLED, not \"\(status)\"")
            }
        }

        func run() async throws {
            let request = Weft_V1_ListWorkflowsRequest(
                pageSize: pageSize, pageToken: pageToken,
                status: status.flatMap { Weft_V1_WorkflowStatus(name: $0) } ?? .unspecified)
            let response = try await connection.withClient { client in
                try await client.unary(
                    WorkflowMethods.list, request, as: Weft_V1_ListWorkflowsResponse.self,
                    options: connection.callOptions)
            }
            if json {
                Terminal.line(response.protoJSONText)
            } else if quiet {
                response.workflows.forEach { Terminal.line($0.workflowID) }
            } else {
                WorkflowText.list(response).forEach { Terminal.line($0) }
            }
        }
    }
}
