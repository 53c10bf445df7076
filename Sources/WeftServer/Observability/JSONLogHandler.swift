import Foundation
public import Logging
import Synchronization
import WeftRPC

/// A swift-log handler writing JSON lines for log shippers: one object per line with `timestamp` (ISO 8601,
/// UTC, milliseconds), `level`, `label`, `message`, `source` and the metadata flattened into the object (nested
/// dictionaries as `outer.inner` keys; a key that clashes with a fixed field gets a `meta.` prefix).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: JSONLogOutput

    /// Writes to standard error.
    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label, output: .standardError)
    }

    /// Writes each line to `output`.
    public init(label: String, output: JSONLogOutput) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        output.write(Self.line(
            timestamp: Date(), level: event.level, label: label, message: event.message.description,
            source: event.source, metadata: merged))
    }

    private static let fixed: Set<String> = ["timestamp", "level", "label", "message", "source"]

    /// One JSON object, newline-terminated.
    static func line(
        timestamp: Date, level: Logger.Level, label: String, message: String, source: String,
        metadata: Logger.Metadata
    ) -> String {
        var text = "{\"timestamp\":"
        JSONString.append(timestamp.formatted(Self.timestampStyle), to: &text)
        text += ",\"level\":"
        JSONString.append(level.rawValue, to: &text)
        text += ",\"label\":"
        JSONString.append(label, to: &text)
        text += ",\"message\":"
        JSONString.append(message, to: &text)
        text += ",\"source\":"
        JSONString.append(source, to: &text)
        var flat: [(String, Logger.MetadataValue)] = []
        flatten(metadata, prefix: "", into: &flat)
        for (key, value) in flat.sorted(by: { $0.0 < $1.0 }) {
            text += ","
            JSONString.append(fixed.contains(key) ? "meta.\(key)" : key, to: &text)
            text += ":"
            appendValue(value, to: &text)
        }
        text += "}\n"
        return text
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    private static func flatten(_ metadata: Logger.Metadata, prefix: String, into flat: inout [(String, Logger.MetadataValue)]) {
        for (key, value) in metadata {
            if case .dictionary(let nested) = value {
                flatten(nested, prefix: prefix + key + ".", into: &flat)
            } else {
                flat.append((prefix + key, value))
            }
        }
    }

    private static func appendValue(_ value: Logger.MetadataValue, to text: inout String) {
        switch value {
        case .string(let string): JSONString.append(string, to: &text)
        case .stringConvertible(let convertible): JSONString.append(convertible.description, to: &text)
        case .array(let values):
            text += "["
            for (index, element) in values.enumerated() {
                if index > 0 { text += "," }
                appendValue(element, to: &text)
            }
            text += "]"
        case .dictionary(let nested):
            text += "{"
            for (index, key) in nested.keys.sorted().enumerated() {
                if index > 0 { text += "," }
                JSONString.append(key, to: &text)
                text += ":"
                appendValue(nested[key]!, to: &text)
            }
            text += "}"
        }
    }

}

/// Where ``JSONLogHandler`` writes: each line in one `write`, so lines of concurrent loggers never interleave.
public struct JSONLogOutput: Sendable {
    private let sink: @Sendable (String) -> Void

    /// Calls `sink` with each newline-terminated line.
    public init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    /// Standard error, one locked unbuffered write per line.
    public static let standardError = JSONLogOutput { line in
        let data = Data(line.utf8)
        lock.withLock { _ in FileHandle.standardError.write(data) }
    }

    private static let lock = Mutex(())

    func write(_ line: String) { sink(line) }
}
