import Foundation

/// The partition of the cache a task may hit: the workflow's constraints, the executor and the embedder's model.
///
/// A lookup only searches its own namespace's index, so a result made for `language=go` never serves a
/// `language=python` task, a result of `exec:lint` never serves `sim`, and vectors of different models are never
/// compared.
///
/// The canonical form is `"c:{k1}={v1},{k2}={v2}|x:{executor}|m:{modelID}"`, constraints sorted by key. Keys and
/// values are trimmed, lower-cased (Unicode NFKC first) and their inner white space collapsed to one space, but keep
/// their punctuation (`c++` and `c` differ); the executor and model id are taken as given (trimmed). In every
/// component `%`, `,`, `=`, `|` and `:` are percent-encoded so the rendering is unambiguous. The `id` is the first
/// 16 hex digits (64 bits) of the SHA-256 of the canonical form.
public struct CacheNamespace: Sendable, Hashable, CustomStringConvertible {
    /// The canonical rendering described above.
    public let canonical: String
    /// Short stable hash of `canonical`: 16 lower-case hex digits.
    public let id: String

    /// The namespace of a task. `executor` should be the resolved executor name (the engine's default when the
    /// task names none), so that two spellings of one executor share entries.
    public init(constraints: [String: String], executor: String, modelID: String) {
        let parts: [(key: String, value: String)] = constraints.map { element in
            (Self.constraintPart(element.key), Self.constraintPart(element.value))
        }
        let sorted = parts.sorted { lhs, rhs in lhs.key == rhs.key ? lhs.value < rhs.value : lhs.key < rhs.key }
        let pairs: [String] = sorted.map { pair in Self.escape(pair.key) + "=" + Self.escape(pair.value) }
        let executorPart = Self.escape(executor.trimmingCharacters(in: .whitespacesAndNewlines))
        let modelPart = Self.escape(modelID.trimmingCharacters(in: .whitespacesAndNewlines))
        self.init(canonical: "c:\(pairs.joined(separator: ","))|x:\(executorPart)|m:\(modelPart)")
    }

    /// A namespace from its canonical form (read back from a store); the `id` is recomputed.
    public init(canonical: String) {
        self.canonical = canonical
        self.id = String(SHA256.hex(canonical).prefix(16))
    }

    /// `"{id} ({canonical})"`.
    public var description: String { "\(id) (\(canonical))" }

    private static func constraintPart(_ text: String) -> String {
        text.precomposedStringWithCompatibilityMapping.lowercased()
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    private static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "%": output += "%25"
            case ",": output += "%2C"
            case "=": output += "%3D"
            case "|": output += "%7C"
            case ":": output += "%3A"
            default: output.append(character)
            }
        }
        return output
    }
}
