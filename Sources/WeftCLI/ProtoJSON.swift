import WeftRPC

/// Decoding of protobuf messages from the proto3 JSON mapping (protobuf's "JSON Mapping" specification), the format
/// `grpcurl -d` reads: field names in lowerCamelCase or as written in the .proto file, enums by name or number,
/// 64-bit integers as numbers or strings, wrapper types as plain values, `null` for "not set".
///
/// Each message type conforms to ``ProtoJSONDecodable`` by reading its fields from a ``ProtoJSONReader``; the reader
/// tracks the JSON path, so every error names where the problem is: `tasks[2].complexity: unknown value "HUGE" …`.
/// Unknown fields are errors (a misspelt field would otherwise be silently ignored).
public protocol ProtoJSONDecodable {
    /// Reads the message's fields from `reader`; fields that are absent or `null` keep their default.
    init(protoJSON reader: inout ProtoJSONReader) throws
}

extension ProtoJSONDecodable {
    /// Decodes a message from a parsed JSON value, which must be an object (or `null` for the default message).
    /// - Throws: ``ProtoJSONError`` naming the path of the first problem.
    public init(protoJSON value: JSONValue, path: String = "") throws {
        var reader = try ProtoJSONReader(value, path: path)
        try self.init(protoJSON: &reader)
        try reader.finish()
    }

    /// Parses JSON text and decodes a message from it.
    /// - Throws: ``ProtoJSONError``; a syntax error has an empty path and gives the line and column.
    public init(protoJSONText text: String) throws {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch let error as JSONSyntaxError {
            throw ProtoJSONError(path: "", message: "invalid JSON: \(error)")
        }
        try self.init(protoJSON: value)
    }
}

/// A JSON document that does not decode as the expected message, and where.
public struct ProtoJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the offending value, e.g. `tasks[2].complexity`; empty for the document itself.
    public var path: String
    /// What is wrong with it.
    public var message: String

    /// Creates an error at a path.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Reads the fields of one JSON object as the fields of a protobuf message.
///
/// Every `read` call names a field by its .proto name (`request_id`); the reader accepts that name or its JSON
/// name (`requestId`), and remembers the field as known so that ``finish()`` can reject the members nobody read.
public struct ProtoJSONReader {
    /// The path of this object, e.g. `tasks[2]`; empty for the document.
    public let path: String
    private let members: [(key: String, value: JSONValue)]
    private var known: [String] = []

    /// Starts reading `value`, which must be an object; `null` reads as an empty object.
    public init(_ value: JSONValue, path: String) throws {
        switch value {
        case .object(let members): self.members = members
        case .null: self.members = []
        default: throw ProtoJSONError(path: path, message: "expected an object, got \(value.describedForError)")
        }
        self.path = path
        var seen = Set<String>()
        for member in members where !seen.insert(member.key).inserted {
            throw ProtoJSONError(path: Self.join(path, member.key), message: "field given more than once")
        }
    }

    /// Rejects members that no `read` call asked for, suggesting the closest known field.
    public func finish() throws {
        for member in members where !known.contains(member.key) {
            let wanted = Self.normalized(member.key)
            let suggestion =
                known.first { Self.normalized($0) == wanted }
                ?? known.first { Self.editDistance(Self.normalized($0), wanted) <= 2 }
            let hint = suggestion.map { "; did you mean \"\($0)\"?" } ?? ""
            throw ProtoJSONError(path: Self.join(path, member.key), message: "unknown field\(hint)")
        }
    }

    /// The member for a field and its path, or nil when it is absent or `null`.
    /// - Throws: when the field is given under both its .proto name and its JSON name.
    public mutating func member(_ protoName: String) throws -> (value: JSONValue, path: String)? {
        let jsonName = Self.jsonName(protoName)
        known.append(protoName)
        if jsonName != protoName { known.append(jsonName) }
        let found = members.filter { $0.key == protoName || $0.key == jsonName }
        if found.count > 1 {
            throw ProtoJSONError(
                path: Self.join(path, protoName), message: "field given twice, as \(protoName) and \(jsonName)")
        }
        guard let member = found.first, member.value != .null else { return nil }
        return (member.value, Self.join(path, member.key))
    }

    // MARK: Typed fields (absent or null: the target keeps its value)

    /// Reads a `string` field.
    public mutating func read(_ name: String, into target: inout String) throws {
        if let (value, path) = try member(name) { target = try ProtoJSONScalar.string(value, path: path) }
    }

    /// Reads a `bool` field.
    public mutating func read(_ name: String, into target: inout Bool) throws {
        if let (value, path) = try member(name) { target = try ProtoJSONScalar.bool(value, path: path) }
    }

    /// Reads an integer field of any width (`int32`, `uint32`, `int64`, `uint64`); numbers or decimal strings.
    public mutating func read<I: FixedWidthInteger>(_ name: String, into target: inout I) throws {
        if let (value, path) = try member(name) { target = try ProtoJSONScalar.integer(value, path: path) }
    }

    /// Reads a `double` field; numbers, numeric strings, `"NaN"`, `"Infinity"`, `"-Infinity"`.
    public mutating func read(_ name: String, into target: inout Double) throws {
        if let (value, path) = try member(name) { target = try ProtoJSONScalar.double(value, path: path) }
    }

    /// Reads an enum field by name (full or without its prefix, any case) or number.
    public mutating func read<E: ProtoJSONEnum>(_ name: String, into target: inout E) throws {
        if let (value, path) = try member(name) { target = try E(protoJSON: value, path: path) }
    }

    /// Reads a singular message field.
    public mutating func read<M: ProtoJSONDecodable>(_ name: String, into target: inout M?) throws {
        if let (value, path) = try member(name) { target = try M(protoJSON: value, path: path) }
    }

    /// Reads a `repeated string` field.
    public mutating func read(_ name: String, into target: inout [String]) throws {
        if let (value, path) = try member(name) {
            target = try Self.elements(value, path: path, of: "strings").map {
                try ProtoJSONScalar.string($0, path: $1)
            }
        }
    }

    /// Reads a repeated message field.
    public mutating func read<M: ProtoJSONDecodable>(_ name: String, into target: inout [M]) throws {
        if let (value, path) = try member(name) {
            target = try Self.elements(value, path: path, of: "objects").map { try M(protoJSON: $0, path: $1) }
        }
    }

    /// Reads a `map<string, string>` field: an object whose values are strings.
    public mutating func read(_ name: String, into target: inout [String: String]) throws {
        guard let (value, path) = try member(name) else { return }
        guard case .object(let entries) = value else {
            throw ProtoJSONError(path: path, message: "expected an object of strings, got \(value.describedForError)")
        }
        var map: [String: String] = [:]
        for entry in entries {
            let entryPath = Self.join(path, entry.key)
            guard map[entry.key] == nil else {
                throw ProtoJSONError(path: entryPath, message: "key given more than once")
            }
            map[entry.key] = try ProtoJSONScalar.string(entry.value, path: entryPath)
        }
        target = map
    }

    // MARK: Names and paths

    /// The proto3 JSON name of a field: lowerCamelCase of its .proto name (`depends_on` → `dependsOn`).
    public static func jsonName(_ protoName: String) -> String {
        var result = ""
        var upperNext = false
        for character in protoName {
            if character == "_" {
                upperNext = true
            } else {
                result += upperNext ? character.uppercased() : String(character)
                upperNext = false
            }
        }
        return result
    }

    /// `parent.key`, or `parent["key"]` when the key is not a plain identifier.
    static func join(_ parent: String, _ key: String) -> String {
        let plain =
            !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        if !plain {
            var quoted = ""
            JSONString.append(key, to: &quoted)
            return "\(parent)[\(quoted)]"
        }
        return parent.isEmpty ? key : "\(parent).\(key)"
    }

    private static func elements(_ value: JSONValue, path: String, of kind: String) throws -> [(JSONValue, String)] {
        guard case .array(let elements) = value else {
            throw ProtoJSONError(path: path, message: "expected an array of \(kind), got \(value.describedForError)")
        }
        return try elements.enumerated().map { index, element in
            let elementPath = "\(path)[\(index)]"
            if element == .null { throw ProtoJSONError(path: elementPath, message: "null is not allowed in an array") }
            return (element, elementPath)
        }
    }

    private static func normalized(_ name: String) -> String {
        String(name.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension JSONValue {
    /// The value for an error message: its kind, and its text when short (`string "HUGE"`, `number 5`).
    var describedForError: String {
        switch self {
        case .string(let text):
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            var quoted = ""
            JSONString.append(shown, to: &quoted)
            return "string \(quoted)"
        case .number(let literal): return "number \(literal)"
        case .bool(let value): return "\(value)"
        default: return kindName
        }
    }
}
