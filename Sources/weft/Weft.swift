import ArgumentParser
import Foundation
import WeftHTTP2
import WeftMessages
import WeftRPC

/// `weft`: the command-line client of a Weft server.
@main
struct Weft: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Command-line client for a Weft server.",
        subcommands: [Health.self])
}

/// Options every subcommand shares.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Server address HOST:PORT (env WEFT_ADDRESS; default 127.0.0.1:50051).")
    var address: String?

    @Option(help: "Seconds before the call is abandoned with DEADLINE_EXCEEDED.")
    var timeout: Double = 10

    func connect() async throws -> GRPCClient {
        let text = address ?? ProcessInfo.processInfo.environment["WEFT_ADDRESS"] ?? "127.0.0.1:50051"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw ValidationError("address \"\(text)\" is not HOST:PORT")
        }
        return try await GRPCClient.connect(host: String(text[..<colon]), port: port)
    }

    var callOptions: CallOptions { CallOptions(timeout: .milliseconds(Int64(timeout * 1000))) }
}

/// Prints a failed call as its gRPC status and exits non-zero.
func exitWithStatus(_ error: any Error) -> ExitCode {
    let rpcError = RPCError(from: error)
    FileHandle.standardError.write(Data("error: \(rpcError.code) (\(rpcError.code.rawValue)): \(rpcError.message)\n".utf8))
    return ExitCode(Int32(64 + rpcError.code.rawValue))
}

extension Weft {
    /// `weft health`: calls grpc.health.v1.Health/Check.
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the server's health service (grpc.health.v1.Health/Check).",
            discussion: "Exits 0 when SERVING, 1 when not, 64 + the gRPC code when the call fails.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Service name to check; empty for the server as a whole.")
        var service = ""

        func run() async throws {
            let client: GRPCClient
            do {
                client = try await connection.connect()
            } catch {
                throw exitWithStatus(error)
            }
            var request = Grpc_Health_V1_HealthCheckRequest()
            request.service = service
            do {
                let response = try await client.unary(
                    MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", kind: .unary), request,
                    as: Grpc_Health_V1_HealthCheckResponse.self, options: connection.callOptions)
                let name = switch response.status {
                case .serving: "SERVING"
                case .notServing: "NOT_SERVING"
                case .serviceUnknown: "SERVICE_UNKNOWN"
                case .unknown: "UNKNOWN"
                case .unrecognized(let value): "UNRECOGNIZED(\(value))"
                }
                print(name)
                await client.close()
                if response.status != .serving { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                await client.close()
                throw exitWithStatus(error)
            }
        }
    }
}
