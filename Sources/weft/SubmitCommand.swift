import ArgumentParser
import Foundation
import WeftCLI
import WeftMessages
import WeftRPC

extension Weft {
    /// `weft submit FILE`: sends a workflow file, prints the id and plan, optionally follows it.
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a workflow (SubmitWorkflowRequest as proto3 JSON) and print its id and plan.",
            discussion: """
                FILE is the request in the proto3 JSON mapping, the format `grpcurl -d @` reads: field names in \
                lowerCamelCase or snake_case, enums by name (COMPLEXITY_COMPLEX or COMPLEX) or number, 64-bit \
                integers as numbers or strings, wrapper fields as plain values ("cacheable": false). "-" reads \
                standard input. With --watch, follows the workflow like `weft watch` and exits 0 when it completes, 1 \
                when it fails or is cancelled.
                """)

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: EventViewOptions

        @Argument(help: "The workflow file (JSON), or - for standard input.")
        var file: String

        @Flag(help: "Follow the workflow until it ends, as `weft watch` does.")
        var watch = false

        @Option(help: "Idempotency key: a resubmission with the same key returns the same workflow.")
        var requestID: String?

        @Option(help: "Override options.mode: BATCH or EAGER.")
        var mode: String?

        @Option(help: "Override options.max_parallel.")
        var maxParallel: UInt32?

        @Flag(help: "Set options.cache.disabled: run every task, reuse no cached result.")
        var noCache = false

        @Flag(name: .shortAndLong, help: "Print only the workflow id.")
        var quiet = false

        @Flag(help: "Print the request that would be sent (proto3 JSON) and send nothing.")
        var dryRun = false

        func validate() throws {
            if let mode, Weft_V1_SchedulingMode(name: mode) == nil || Weft_V1_SchedulingMode(name: mode) == .unspecified
            {
                throw ValidationError("--mode must be BATCH or EAGER, not \"\(mode)\"")
            }
            if maxParallel == 0 { throw ValidationError("--max-parallel must be at least 1") }
        }

        func run() async throws {
            let request = try loadRequest()
            if dryRun {
                Terminal.line(request.protoJSONText)
                return
            }
            let response = try await connection.withClient { client in
                try await client.unary(
                    WorkflowMethods.submit, request, as: Weft_V1_SubmitWorkflowResponse.self,
                    options: connection.callOptions)
            }
            if quiet {
                Terminal.line(response.workflowID)
            } else if output.json {
                Terminal.line(response.protoJSONText)
            } else {
                let width = Terminal.stdoutIsTerminal ? Terminal.size.columns - 1 : .max
                WorkflowText.submission(response, width: width).forEach { Terminal.line($0) }
            }
            guard watch else { return }
            if !quiet && !output.json { Terminal.line() }
            let code = try await WorkflowFollower(connection: connection, view: output.view)
                .follow(workflowID: response.workflowID, afterSequence: 0)
            if code != .success { throw code }
        }

        /// The file decoded, with the command-line overrides applied. A file that does not decode ends the command
        /// with `error: FILE: path: message` and exit code 67 (64 + INVALID_ARGUMENT), as the server would answer.
        private func loadRequest() throws -> Weft_V1_SubmitWorkflowRequest {
            let name = file == "-" ? "<stdin>" : file
            var request: Weft_V1_SubmitWorkflowRequest
            do {
                let data =
                    file == "-"
                    ? FileHandle.standardInput.readDataToEndOfFile()
                    : try Data(contentsOf: URL(fileURLWithPath: file))
                guard let text = String(data: data, encoding: .utf8) else {
                    throw ProtoJSONError(path: "", message: "the file is not UTF-8 text")
                }
                request = try Weft_V1_SubmitWorkflowRequest(protoJSONText: text)
            } catch let error as ProtoJSONError {
                Terminal.error("error: \(name): \(error)")
                throw ExitCode(64 + Int32(StatusCode.invalidArgument.rawValue))
            } catch {
                let reason =
                    file != "-" && !FileManager.default.fileExists(atPath: file)
                    ? "no such file" : error.localizedDescription
                Terminal.error("error: cannot read \(name): \(reason)")
                throw ExitCode(66)  // EX_NOINPUT
            }
            if let requestID { request.requestID = requestID }
            if mode != nil || maxParallel != nil || noCache {
                var options = request.options ?? Weft_V1_ExecutionOptions()
                if let mode, let parsed = Weft_V1_SchedulingMode(name: mode) { options.mode = parsed }
                if let maxParallel { options.maxParallel = maxParallel }
                if noCache {
                    var cache = options.cache ?? Weft_V1_CacheOptions()
                    cache.disabled = true
                    options.cache = cache
                }
                request.options = options
            }
            return request
        }
    }
}
