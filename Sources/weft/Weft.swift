import ArgumentParser
import Foundation
import WeftRPC

/// `weft`: the command-line client of a Weft server.
@main
struct Weft: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Command-line client for a Weft server.",
        discussion: """
            Every command takes --address (env WEFT_ADDRESS, default 127.0.0.1:50051) and --timeout. A failed call \
            prints "error: CODE (n): message" to stderr and exits 64 + the gRPC status code.
            """,
        subcommands: [Submit.self, Watch.self, Get.self, Cancel.self, List.self, Health.self])
}

/// Prints a failed call as its gRPC status and returns the exit code 64 + the status code.
func exitWithStatus(_ error: any Error) -> ExitCode {
    let rpcError = RPCError(from: error)
    FileHandle.standardError.write(
        Data("error: \(rpcError.code) (\(rpcError.code.rawValue)): \(rpcError.message)\n".utf8))
    return ExitCode(Int32(64 + rpcError.code.rawValue))
}
