import WeftRPC

/// Conversions of JSON values to protobuf scalars under the proto3 JSON mapping's rules.
enum ProtoJSONScalar {
    static func string(_ value: JSONValue, path: String) throws -> String {
        guard case .string(let text) = value else {
            throw ProtoJSONError(path: path, message: "expected a string, got \(value.describedForError)")
        }
        return text
    }

    static func bool(_ value: JSONValue, path: String) throws -> Bool {
        guard case .bool(let flag) = value else {
            throw ProtoJSONError(path: path, message: "expected true or false, got \(value.describedForError)")
        }
        return flag
    }

    /// An integer from a number or a decimal string; `1e3` and `5.0` are accepted because they are integral.
    static func integer<I: FixedWidthInteger>(_ value: JSONValue, path: String) throws -> I {
        let typeName = "\(I.isSigned ? "int" : "uint")\(I.bitWidth)"
        let text: String
        switch value {
        case .number(let literal): text = literal
        case .string(let string) where isNumeric(string): text = string
        default:
            throw ProtoJSONError(
                path: path, message: "expected an integer (\(typeName)), got \(value.describedForError)")
        }
        if let exact = I(text) { return exact }
        let outOfRange = ProtoJSONError(path: path, message: "\(text) is out of range for \(typeName)")
        if text.drop(while: { $0 == "-" }).allSatisfy(\.isASCIIDigit) { throw outOfRange }
        guard let double = Double(text), double.isFinite else { throw outOfRange }
        guard double == double.rounded(.towardZero) else {
            throw ProtoJSONError(path: path, message: "\(text) is not an integer (\(typeName))")
        }
        guard let integer = I(exactly: double) else { throw outOfRange }
        return integer
    }

    /// A double from a number, a numeric string, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
    static func double(_ value: JSONValue, path: String) throws -> Double {
        switch value {
        case .number(let literal):
            guard let double = Double(literal), double.isFinite else {
                throw ProtoJSONError(path: path, message: "\(literal) is out of range for double")
            }
            return double
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        case .string(let string) where isNumeric(string):
            guard let double = Double(string), double.isFinite else {
                throw ProtoJSONError(path: path, message: "\(string) is out of range for double")
            }
            return double
        default:
            throw ProtoJSONError(path: path, message: "expected a number, got \(value.describedForError)")
        }
    }

    /// Whether a string looks like a decimal number (Swift's parsers would also take hex, `inf` and `nan`).
    private static func isNumeric(_ text: String) -> Bool {
        !text.isEmpty && text.first != "+" && text.allSatisfy { $0.isASCIIDigit || "+-.eE".contains($0) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A protobuf enum that the proto3 JSON mapping reads and writes by name.
///
/// Names are read in full (`COMPLEXITY_COMPLEX`) or without the enum's prefix (`COMPLEX`), in any case; numbers are
/// read as they are, so values a newer schema defines pass through.
public protocol ProtoJSONEnum: RawRepresentable, Hashable where RawValue == Int32 {
    /// The prefix every value name carries, e.g. `COMPLEXITY_`.
    static var protoJSONPrefix: String { get }
    /// The value names in wire-value order: `protoJSONNames[n]` names the value `n`.
    static var protoJSONNames: [String] { get }
}

extension ProtoJSONEnum {
    /// The full value name (`COMPLEXITY_COMPLEX`), or the number as text for a value this schema does not define.
    public var protoJSONName: String {
        Self.protoJSONNames.indices.contains(Int(rawValue)) ? Self.protoJSONNames[Int(rawValue)] : String(rawValue)
    }

    /// The value name without the prefix (`COMPLEX`), as people write it.
    public var shortName: String {
        let name = protoJSONName
        return name.hasPrefix(Self.protoJSONPrefix) ? String(name.dropFirst(Self.protoJSONPrefix.count)) : name
    }

    /// Decodes a value from a name or a number (see the protocol's rules).
    public init(protoJSON value: JSONValue, path: String) throws {
        switch value {
        case .string(let name):
            if let parsed = Self(name: name) {
                self = parsed
                return
            }
            let choices = Self.protoJSONNames.dropFirst()
            let list =
                choices.dropLast().joined(separator: ", ") + (choices.count > 1 ? " or " : "") + (choices.last ?? "")
            var quoted = ""
            JSONString.append(name, to: &quoted)
            throw ProtoJSONError(
                path: path,
                message:
                    "unknown value \(quoted) (expected \(list); the \(Self.protoJSONPrefix) prefix may be left out)")
        case .number:
            let number: Int32 = try ProtoJSONScalar.integer(value, path: path)
            guard let parsed = Self(rawValue: number) else {
                throw ProtoJSONError(path: path, message: "unknown value \(number)")
            }
            self = parsed
        default:
            throw ProtoJSONError(path: path, message: "expected an enum name or number, got \(value.describedForError)")
        }
    }

    /// The value named `name`, in full or without the prefix, in any case; nil when there is none.
    public init?(name: String) {
        let wanted = name.uppercased()
        for (number, full) in Self.protoJSONNames.enumerated()
        where full == wanted || full == Self.protoJSONPrefix + wanted {
            guard let value = Self(rawValue: Int32(number)) else { return nil }
            self = value
            return
        }
        return nil
    }
}
