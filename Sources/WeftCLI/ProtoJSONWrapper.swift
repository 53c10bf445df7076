public import WeftMessages

/// A `google.protobuf` wrapper message, whose proto3 JSON form is its plain value (`"cacheable": false`) and whose
/// absence (or `null`) means "not set".
public protocol ProtoJSONWrapper {
    /// The wrapped value's type.
    associatedtype Wrapped
    /// A wrapper holding `value`.
    init(value: Wrapped)
    /// The wrapped value.
    var value: Wrapped { get }
    /// Reads the plain JSON value.
    static func wrapped(from json: JSONValue, path: String) throws -> Wrapped
    /// Writes the plain JSON value.
    static func json(from value: Wrapped) -> JSONValue
}

extension ProtoJSONReader {
    /// Reads a wrapper field from its plain value; absent or `null` leaves it unset.
    public mutating func read<W: ProtoJSONWrapper>(_ name: String, into target: inout W?) throws {
        if let (value, path) = try member(name) { target = W(value: try W.wrapped(from: value, path: path)) }
    }
}

extension ProtoJSONWriter {
    /// Writes a wrapper field as its plain value when it is set (even to the wrapped type's default).
    public mutating func write<W: ProtoJSONWrapper>(_ name: String, _ value: W?) {
        if let value { add(name, W.json(from: value.value)) }
    }
}

extension Google_Protobuf_BoolValue: ProtoJSONWrapper {
    public static func wrapped(from json: JSONValue, path: String) throws -> Bool {
        try ProtoJSONScalar.bool(json, path: path)
    }
    public static func json(from value: Bool) -> JSONValue { .bool(value) }
}

extension Google_Protobuf_DoubleValue: ProtoJSONWrapper {
    public static func wrapped(from json: JSONValue, path: String) throws -> Double {
        try ProtoJSONScalar.double(json, path: path)
    }
    public static func json(from value: Double) -> JSONValue { ProtoJSONWriter.double(value) }
}

extension Google_Protobuf_StringValue: ProtoJSONWrapper {
    public static func wrapped(from json: JSONValue, path: String) throws -> String {
        try ProtoJSONScalar.string(json, path: path)
    }
    public static func json(from value: String) -> JSONValue { .string(value) }
}

extension Google_Protobuf_UInt32Value: ProtoJSONWrapper {
    public static func wrapped(from json: JSONValue, path: String) throws -> UInt32 {
        try ProtoJSONScalar.integer(json, path: path)
    }
    public static func json(from value: UInt32) -> JSONValue { .integer(value) }
}

extension Google_Protobuf_Int32Value: ProtoJSONWrapper {
    public static func wrapped(from json: JSONValue, path: String) throws -> Int32 {
        try ProtoJSONScalar.integer(json, path: path)
    }
    public static func json(from value: Int32) -> JSONValue { .integer(value) }
}

extension Google_Protobuf_UInt64Value: ProtoJSONWrapper {
    public static func wrapped(from json: JSONValue, path: String) throws -> UInt64 {
        try ProtoJSONScalar.integer(json, path: path)
    }
    public static func json(from value: UInt64) -> JSONValue { .string(String(value)) }
}

extension Google_Protobuf_Int64Value: ProtoJSONWrapper {
    public static func wrapped(from json: JSONValue, path: String) throws -> Int64 {
        try ProtoJSONScalar.integer(json, path: path)
    }
    public static func json(from value: Int64) -> JSONValue { .string(String(value)) }
}
