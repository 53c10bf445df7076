import ArgumentParser
import Foundation
import WeftHTTP2
import WeftRPC

/// Options every subcommand shares: where the server is and how long a call may take.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Server address HOST:PORT (env WEFT_ADDRESS; default 127.0.0.1:50051).")
    var address: String?

    @Option(
        help: ArgumentHelp(
            "Seconds before a call is abandoned with DEADLINE_EXCEEDED (default 10).",
            discussion:
                "A watch has no deadline unless this is given; then it bounds the whole watch, reconnections included.")
    )
    var timeout: Double?

    /// The deadline of unary calls.
    static let defaultTimeout = 10.0

    func validate() throws {
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        _ = try hostAndPort()
    }

    /// `--address`, else `WEFT_ADDRESS`, else the default; `[v6]:port` is accepted.
    func hostAndPort() throws -> (host: String, port: Int) {
        let text = address ?? ProcessInfo.processInfo.environment["WEFT_ADDRESS"] ?? "127.0.0.1:50051"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port), colon != text.startIndex
        else {
            throw ValidationError("address \"\(text)\" is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// A new connection to the server. Fails with UNAVAILABLE when it cannot be made.
    func connect() async throws -> GRPCClient {
        let (host, port) = try hostAndPort()
        return try await GRPCClient.connect(host: host, port: port)
    }

    /// Options of a unary call: `--timeout` or 10 seconds.
    var callOptions: CallOptions { CallOptions(timeout: .milliseconds(Int64((timeout ?? Self.defaultTimeout) * 1000))) }

    /// Connects, runs `body`, closes the connection. A failed call (or connection) ends the command with
    /// `error: CODE (n): message` and exit code 64 + n; `ExitCode`s and validation errors pass through.
    func withClient<T>(_ body: (GRPCClient) async throws -> T) async throws -> T {
        let client: GRPCClient
        do {
            client = try await connect()
        } catch let error as RPCError {
            throw exitWithStatus(error)
        }
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch let error as RPCError {
            await client.close()
            throw exitWithStatus(error)
        } catch {
            await client.close()
            throw error
        }
    }
}
