import Foundation

/// Why some text is not JSON, for error messages.
enum JSONSyntax {
    /// "not valid JSON (Invalid value around character 7.)": JSONDecoder says only that the JSON is invalid,
    /// JSONSerialization also says where.
    static func problem(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "not valid JSON"
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return "not valid JSON" + (detail.map { " (\($0))" } ?? "")
        }
    }

    /// Whether `data` is valid JSON (any value at the top).
    static func isValid(_ data: Data) -> Bool {
        (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
    }
}
