import ArgumentParser
import WeftEngine
import WeftServer

/// Maps flags and environment variables onto ``WeftServerConfig``: a flag wins over its variable, a variable over
/// the default. Every unparsable value is an error naming the flag or variable.
struct WeftdConfiguration {
    let options: WeftdOptions
    let environment: [String: String]

    func make() throws -> WeftServerConfig {
        var config = WeftServerConfig.defaults
        if let listen = options.listen ?? environment["WEFT_LISTEN"] {
            (config.host, config.port) = try Self.parseListen(listen)
        }
        config.threads = try int(options.threads, "WEFT_THREADS") ?? config.threads
        config.transport.maxReceiveMessageSize =
            try int(options.maxMessageSize, "WEFT_MAX_MESSAGE_SIZE") ?? config.transport.maxReceiveMessageSize
        config.transport.maxConcurrentStreams =
            try int(options.maxConcurrentStreams, "WEFT_MAX_CONCURRENT_STREAMS") ?? config.transport.maxConcurrentStreams
        config.transport.maxHeaderListSize =
            try int(options.maxHeaderListSize, "WEFT_MAX_HEADER_LIST_SIZE") ?? config.transport.maxHeaderListSize
        config.drainDelay = try duration(options.drainDelay, "WEFT_DRAIN_DELAY") ?? config.drainDelay
        config.drainGrace = try duration(options.drainGrace, "WEFT_DRAIN_GRACE") ?? config.drainGrace
        config.enableTestService = options.enableTestService || environment["WEFT_ENABLE_TEST_SERVICE"] == "true"
        config.execConfigPath = options.execConfig ?? environment["WEFT_EXEC_CONFIG"]

        var engine = config.engine
        engine.maxParallel = try int(options.maxParallel, "MAX_PARALLEL_TASKS") ?? engine.maxParallel
        if let text = options.schedulingMode ?? environment["WEFT_SCHEDULING_MODE"] {
            guard let mode = SchedulingMode(rawValue: text.uppercased()) else {
                throw ValidationError("scheduling mode \"\(text)\" is not BATCH or EAGER")
            }
            engine.defaultMode = mode
        }
        engine.activityTimeout = try duration(options.activityTimeout, "ACTIVITY_TIMEOUT") ?? engine.activityTimeout
        engine.longActivityTimeout =
            try duration(options.longActivityTimeout, "LONG_ACTIVITY_TIMEOUT") ?? engine.longActivityTimeout
        engine.heartbeatTimeout = try duration(options.heartbeatTimeout, "HEARTBEAT_TIMEOUT") ?? engine.heartbeatTimeout
        engine.maxAttempts = try int(options.maxAttempts, "WEFT_MAX_ATTEMPTS") ?? engine.maxAttempts
        engine.streamResults = try bool(options.resultStreaming, "ENABLE_RESULT_STREAMING") ?? engine.streamResults
        engine.streamBatchResults =
            try bool(options.streamBatchResults, "STREAM_BATCH_RESULTS") ?? engine.streamBatchResults
        engine.limits.maxTasks = try int(options.maxTasks, "WEFT_MAX_TASKS") ?? engine.limits.maxTasks
        engine.retention = try duration(options.retention, "WEFT_RETENTION") ?? engine.retention
        engine.retainedWorkflows = try int(options.retainedWorkflows, "WEFT_RETAINED_WORKFLOWS") ?? engine.retainedWorkflows
        config.engine = engine

        var cache = config.cache
        cache.enabled = try bool(options.cache, "WEFT_CACHE") ?? cache.enabled
        cache.reuseThreshold = try double(options.cacheReuseThreshold, "CACHE_REUSE_THRESHOLD") ?? cache.reuseThreshold
        cache.similarityThreshold =
            try double(options.cacheSimilarityThreshold, "CACHE_SIMILARITY_THRESHOLD") ?? cache.similarityThreshold
        cache.ttl = try duration(options.cacheTtl, "CACHE_TTL") ?? cache.ttl
        cache.embedderURL = options.embedderUrl ?? environment["WEFT_EMBEDDER_URL"]
        cache.embedderModel = options.embedderModel ?? environment["WEFT_EMBEDDER_MODEL"] ?? cache.embedderModel
        cache.embedderDimensions = try int(options.embedderDimensions, "WEFT_EMBEDDER_DIMENSIONS") ?? cache.embedderDimensions
        cache.embedderTimeout = try duration(options.embedderTimeout, "WEFT_EMBEDDER_TIMEOUT") ?? cache.embedderTimeout
        config.cache = cache
        config.redisURL = options.redisUrl ?? environment["REDIS_URL"]
        if config.redisURL?.isEmpty == true { config.redisURL = nil }
        config.redisStreamMaxLength =
            try int(options.redisStreamMaxLength, "WEFT_REDIS_STREAM_MAX_LENGTH") ?? config.redisStreamMaxLength
        config.redisWriteBufferLimit =
            try int(options.redisWriteBuffer, "WEFT_REDIS_WRITE_BUFFER") ?? config.redisWriteBufferLimit
        try Self.validate(config)
        return config
    }

    static func validate(_ config: WeftServerConfig) throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw ValidationError(message) }
        }
        try require(config.threads >= 1, "--threads must be at least 1")
        try require(config.transport.maxReceiveMessageSize >= 1, "--max-message-size must be positive")
        try require(config.transport.maxConcurrentStreams >= 1, "--max-concurrent-streams must be at least 1")
        try require(config.transport.maxHeaderListSize >= 1024, "--max-header-list-size must be at least 1024")
        try require(config.drainDelay >= .zero && config.drainGrace >= .zero, "drain delay and grace must not be negative")
        let engine = config.engine
        try require((1...engine.limits.maxParallel).contains(engine.maxParallel),
                    "MAX_PARALLEL_TASKS must be between 1 and \(engine.limits.maxParallel)")
        try require(engine.activityTimeout > .zero && engine.longActivityTimeout > .zero && engine.heartbeatTimeout > .zero,
                    "activity and heartbeat timeouts must be positive")
        try require(engine.maxAttempts >= 1, "WEFT_MAX_ATTEMPTS must be at least 1")
        try require(engine.limits.maxTasks >= 1, "WEFT_MAX_TASKS must be at least 1")
        try require(engine.retainedWorkflows >= 0, "WEFT_RETAINED_WORKFLOWS must not be negative")
        try require(config.redisStreamMaxLength >= 1, "WEFT_REDIS_STREAM_MAX_LENGTH must be at least 1")
        try require(config.redisWriteBufferLimit >= 1, "WEFT_REDIS_WRITE_BUFFER must be at least 1")
        let cache = config.cache
        try require((0...1).contains(cache.reuseThreshold), "CACHE_REUSE_THRESHOLD must be within [0, 1]")
        try require((0...1).contains(cache.similarityThreshold), "CACHE_SIMILARITY_THRESHOLD must be within [0, 1]")
        try require(cache.similarityThreshold <= cache.reuseThreshold,
                    "CACHE_SIMILARITY_THRESHOLD must not exceed CACHE_REUSE_THRESHOLD")
        try require(cache.ttl > .zero, "CACHE_TTL must be positive")
        try require(cache.embedderDimensions >= 1, "WEFT_EMBEDDER_DIMENSIONS must be at least 1")
    }

    func int(_ flag: Int?, _ name: String) throws -> Int? {
        if let flag { return flag }
        guard let text = environment[name] else { return nil }
        guard let value = Int(text) else { throw ValidationError("\(name)=\(text) is not a whole number") }
        return value
    }

    private func double(_ flag: Double?, _ name: String) throws -> Double? {
        if let flag { return flag }
        guard let text = environment[name] else { return nil }
        guard let value = Double(text), value.isFinite else { throw ValidationError("\(name)=\(text) is not a number") }
        return value
    }

    private func bool(_ flag: String?, _ name: String) throws -> Bool? {
        guard let text = flag ?? environment[name] else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ValidationError("\(name)=\(text) is not true or false")
        }
    }

    func duration(_ flag: String?, _ name: String) throws -> Duration? {
        guard let text = flag ?? environment[name] else { return nil }
        guard let value = Self.parseDuration(text) else {
            throw ValidationError("\(name)=\(text) is not a duration (seconds, or a number with ms, s, m or h)")
        }
        return value
    }

    /// `90` (seconds), `1.5`, `500ms`, `30s`, `20m`, `1h`.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var scale = 1.0
        for (suffix, factor) in units where number.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    static func parseListen(_ text: String) throws -> (String, Int) {
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

import Foundation
