import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import WeftHTTP2
import WeftServer

/// `weftd`: the Weft server. Flags override environment variables, which override the defaults.
@main
struct Weftd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weftd",
        abstract: "Weft workflow server: gRPC over HTTP/2 (h2c) on nghttp2.")

    @Option(help: "Address to listen on, HOST:PORT (env WEFT_LISTEN; default 127.0.0.1:50051). Port 0 picks one.")
    var listen: String?

    @Option(help: "Write the bound port to this file once the server accepts connections.")
    var portFile: String?

    @Option(help: "Event-loop threads (env WEFT_THREADS; default: one per core).")
    var threads: Int?

    @Option(help: "Largest request message in bytes (env WEFT_MAX_MESSAGE_SIZE; default 4194304).")
    var maxMessageSize: Int?

    @Option(help: "SETTINGS_MAX_CONCURRENT_STREAMS per connection (env WEFT_MAX_CONCURRENT_STREAMS; default 1000).")
    var maxConcurrentStreams: Int?

    @Option(help: "Largest request header list in bytes (env WEFT_MAX_HEADER_LIST_SIZE; default 16384).")
    var maxHeaderListSize: Int?

    @Option(help: "Seconds to keep serving with health NOT_SERVING after SIGTERM (env WEFT_DRAIN_DELAY; default 0).")
    var drainDelay: Double?

    @Option(help: "Seconds in-flight calls may run after the final GOAWAY (env WEFT_DRAIN_GRACE; default 30).")
    var drainGrace: Double?

    @Flag(help: "Serve weft.testing.v1.TestService (env WEFT_ENABLE_TEST_SERVICE=true).")
    var enableTestService = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env WEFT_LOG_LEVEL; default info).")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let config = try makeConfig(environment: environment)
        let level = Logger.Level(rawValue: logLevel ?? environment["WEFT_LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "weftd")
        let portFile = portFile
        let server = try WeftServer(config: config, logger: logger) { address in
            guard let portFile, let port = address.port else { return }
            // Written atomically so a reader never sees a partial number.
            let temporary = portFile + ".tmp"
            _ = FileManager.default.createFile(atPath: temporary, contents: Data("\(port)\n".utf8))
            _ = rename(temporary, portFile)
        }
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    private func makeConfig(environment: [String: String]) throws -> WeftServerConfig {
        var config = WeftServerConfig.defaults
        if let listen = listen ?? environment["WEFT_LISTEN"] {
            let (host, port) = try parseListen(listen)
            config.host = host
            config.port = port
        }
        config.threads = try value(threads, "WEFT_THREADS", environment) ?? config.threads
        config.transport.maxReceiveMessageSize =
            try value(maxMessageSize, "WEFT_MAX_MESSAGE_SIZE", environment) ?? config.transport.maxReceiveMessageSize
        config.transport.maxConcurrentStreams =
            try value(maxConcurrentStreams, "WEFT_MAX_CONCURRENT_STREAMS", environment)
            ?? config.transport.maxConcurrentStreams
        config.transport.maxHeaderListSize =
            try value(maxHeaderListSize, "WEFT_MAX_HEADER_LIST_SIZE", environment) ?? config.transport.maxHeaderListSize
        if let seconds: Double = try value(drainDelay, "WEFT_DRAIN_DELAY", environment) {
            config.drainDelay = .milliseconds(Int64(seconds * 1000))
        }
        if let seconds: Double = try value(drainGrace, "WEFT_DRAIN_GRACE", environment) {
            config.drainGrace = .milliseconds(Int64(seconds * 1000))
        }
        config.enableTestService = enableTestService || environment["WEFT_ENABLE_TEST_SERVICE"] == "true"
        try validate(config)
        return config
    }

    private func validate(_ config: WeftServerConfig) throws {
        guard config.threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard config.transport.maxReceiveMessageSize >= 1 else { throw ValidationError("--max-message-size must be positive") }
        guard config.transport.maxConcurrentStreams >= 1 else {
            throw ValidationError("--max-concurrent-streams must be at least 1")
        }
        guard config.transport.maxHeaderListSize >= 1024 else {
            throw ValidationError("--max-header-list-size must be at least 1024")
        }
        guard config.drainDelay >= .zero, config.drainGrace >= .zero else {
            throw ValidationError("--drain-delay and --drain-grace must not be negative")
        }
    }

    /// A flag's value, else the environment variable's, parsed; an unparsable variable is an error naming it.
    private func value<T: LosslessStringConvertible>(_ flag: T?, _ name: String, _ environment: [String: String]) throws
        -> T?
    {
        if let flag { return flag }
        guard let text = environment[name] else { return nil }
        guard let parsed = T(text) else { throw ValidationError("\(name)=\(text) is not a valid value") }
        return parsed
    }

    private func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("listen address \"\(text)\" is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
