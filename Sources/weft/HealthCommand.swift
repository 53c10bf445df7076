import ArgumentParser
import WeftMessages
import WeftRPC

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
            var request = Grpc_Health_V1_HealthCheckRequest()
            request.service = service
            let response = try await connection.withClient { client in
                try await client.unary(
                    MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", kind: .unary), request,
                    as: Grpc_Health_V1_HealthCheckResponse.self, options: connection.callOptions)
            }
            let name =
                switch response.status {
                case .serving: "SERVING"
                case .notServing: "NOT_SERVING"
                case .serviceUnknown: "SERVICE_UNKNOWN"
                case .unknown: "UNKNOWN"
                case .unrecognized(let value): "UNRECOGNIZED(\(value))"
                }
            Terminal.line(name)
            if response.status != .serving { throw ExitCode(1) }
        }
    }
}
