import Foundation

/// The exec executor's config file: `{"commands": [ExecCommand, …]}`.
struct ExecConfigFile: Decodable {
    var commands: [ExecCommand]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case commands
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try ConfigKeys.rejectUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        commands = try container.decode([ExecCommand].self, forKey: .commands)
    }

    /// Reads and checks the file at `path`.
    static func load(path: String) throws(ExecConfigError) -> [ExecCommand] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ExecConfigError(path: path, message: "cannot read the file: \(readFailureReason(error))")
        }
        return try decode(data, path: path)
    }

    /// Decodes and checks a config file's contents; `path` names it in errors.
    static func decode(_ data: Data, path: String) throws(ExecConfigError) -> [ExecCommand] {
        let file: ExecConfigFile
        do {
            file = try JSONDecoder().decode(ExecConfigFile.self, from: data)
        } catch let error as DecodingError {
            throw ExecConfigError(path: path, message: describe(error, data: data))
        } catch {
            throw ExecConfigError(path: path, message: "\(error)")
        }
        var seen: [String: Int] = [:]
        for (index, command) in file.commands.enumerated() {
            if let first = seen[command.name] {
                throw ExecConfigError(
                    path: path,
                    message: "commands[\(index)]: duplicate name \"\(command.name)\" (also commands[\(first)])")
            }
            seen[command.name] = index
        }
        return file.commands
    }

    private static func readFailureReason(_ error: any Error) -> String {
        if let error = error as? CocoaError {
            switch error.code {
            case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file"
            case .fileReadNoPermission: return "permission denied"
            default: break
            }
        }
        return error.localizedDescription
    }

    /// A DecodingError as `commands[1].argv is missing`.
    private static func describe(_ error: DecodingError, data: Data) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(render(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(render(context.codingPath)) must be \(describe(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, !JSONSyntax.isValid(data) { return JSONSyntax.problem(in: data) }
            return "\(render(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [String].Type: "an array of strings"
        case is [String: String].Type: "an object of strings"
        default:
            if String(describing: type).hasPrefix("Array") { "an array" } else { "an object" }
        }
    }

    /// A coding path as `commands[1].argv`; the file itself is `the file`.
    private static func render(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "the file" : text
    }
}

/// Rejects keys a config object does not know, so that typos (`working_dir`) are not silently ignored.
enum ConfigKeys {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func rejectUnknown(in decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let unknown = container.allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: decoder.codingPath,
                debugDescription: "unknown key \"\(first)\" (known keys: \(allowed.joined(separator: ", ")))"))
    }
}
