/// A protobuf message that can be written in the proto3 JSON mapping.
public protocol ProtoJSONEncodable {
    /// Writes the message's fields; fields at their default are left out, as the mapping's printers do.
    func writeProtoJSON(to writer: inout ProtoJSONWriter)
}

extension ProtoJSONEncodable {
    /// The message as a JSON object.
    public var protoJSON: JSONValue {
        var writer = ProtoJSONWriter()
        writeProtoJSON(to: &writer)
        return writer.object
    }

    /// The message as compact JSON text on one line.
    public var protoJSONText: String { protoJSON.serialized }
}

/// Builds the JSON object of one message: JSON (lowerCamelCase) field names, default values left out, 64-bit
/// integers as strings, enums by name, as protobuf's JSON printers do.
public struct ProtoJSONWriter {
    private var members: [(key: String, value: JSONValue)] = []

    /// An empty object.
    public init() {}

    /// The object written so far.
    public var object: JSONValue { .object(members) }

    /// Adds a member under the field's JSON name, whatever its value.
    public mutating func add(_ protoName: String, _ value: JSONValue) {
        members.append((ProtoJSONReader.jsonName(protoName), value))
    }

    /// Writes a `string` field unless empty.
    public mutating func write(_ name: String, _ value: String) {
        if !value.isEmpty { add(name, .string(value)) }
    }

    /// Writes a `bool` field unless false.
    public mutating func write(_ name: String, _ value: Bool) {
        if value { add(name, .bool(true)) }
    }

    /// Writes an integer field unless zero: up to 32 bits as a number, 64-bit as a string.
    public mutating func write<I: FixedWidthInteger>(_ name: String, _ value: I) {
        guard value != 0 else { return }
        add(name, I.bitWidth > 32 ? .string(String(value)) : .integer(value))
    }

    /// Writes a `double` field unless zero.
    public mutating func write(_ name: String, _ value: Double) {
        if value != 0 { add(name, Self.double(value)) }
    }

    /// Writes an enum field by name unless it is the zero value.
    public mutating func write<E: ProtoJSONEnum>(_ name: String, _ value: E) {
        guard value.rawValue != 0 else { return }
        let text = value.protoJSONName
        add(name, Int32(text) == nil ? .string(text) : .number(text))
    }

    /// Writes a message field when it is set, even when it is the default message (`{}`).
    public mutating func write<M: ProtoJSONEncodable>(_ name: String, _ value: M?) {
        if let value { add(name, value.protoJSON) }
    }

    /// Writes a `repeated string` field unless empty.
    public mutating func write(_ name: String, _ values: [String]) {
        if !values.isEmpty { add(name, .array(values.map(JSONValue.string))) }
    }

    /// Writes a repeated message field unless empty.
    public mutating func write<M: ProtoJSONEncodable>(_ name: String, _ values: [M]) {
        if !values.isEmpty { add(name, .array(values.map(\.protoJSON))) }
    }

    /// Writes a `map<string, string>` field unless empty, keys sorted so that output is stable.
    public mutating func write(_ name: String, _ map: [String: String]) {
        if !map.isEmpty {
            add(name, .object(map.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        }
    }

    /// A double as the mapping writes it: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
    static func double(_ value: Double) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number("\(value)")
    }
}
