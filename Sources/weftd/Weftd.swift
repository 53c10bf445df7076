import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import NIOCore
import ServiceLifecycle
import WeftServer

/// `weftd`: the Weft server. Flags override environment variables, which override the defaults.
@main
struct Weftd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weftd",
        abstract: "Weft workflow server: gRPC over HTTP/2 (h2c) on nghttp2.",
        discussion: "Every option also has an environment variable (named in its help); see the README.")

    @OptionGroup var options: WeftdOptions
    @OptionGroup var observability: WeftdObservabilityOptions
    @OptionGroup var security: SecurityOptions
    @OptionGroup var workers: WorkerOptions
    @OptionGroup var connections: ConnectionOptions
    @OptionGroup var overload: OverloadOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = WeftdConfiguration(options: options, environment: environment)
        var config = try configuration.make()
        try configuration.applyConnections(connections, to: &config)
        try configuration.applyOverload(overload, to: &config)
        try WeftdConfiguration.applySecurity(security, environment: environment, to: &config)
        try configuration.applyWorkers(workers, to: &config)
        let level = Logger.Level(rawValue: options.logLevel ?? environment["WEFT_LOG_LEVEL"] ?? "info") ?? .info
        switch try observability.format(environment: environment) {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        if let (host, port) = try observability.metricsAddress(environment: environment) {
            // Before anything creates a metric: objects made earlier stay on the no-op factory.
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            config.metrics = MetricsSettings(host: host, port: port, registry: registry)
        }
        let logger = Logger(label: "weftd")
        let portFile = options.portFile
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
}
