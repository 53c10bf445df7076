import Foundation
import WeftRPC
public import WeftMessages

/// Small text helpers shared by the line, live and snapshot views.
public enum TextFormat {
    /// A duration for people: `412ms`, `2.41s`, `3m05s`, `2h04m`.
    public static func duration(ms: UInt64) -> String {
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 { return String(format: "%.2fs", Double(ms) / 1000) }
        let seconds = ms / 1000
        if seconds < 3600 { return String(format: "%dm%02ds", seconds / 60, seconds % 60) }
        return String(format: "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
    }

    /// A ratio such as a speed-up: `3.24×`.
    public static func ratio(_ value: Double) -> String { String(format: "%.2f×", value) }

    /// The cache outcome as the views show it: `MISS`, `REUSED(0.97)`, `ADAPTED(0.88)`, `BYPASSED`; `-` when unset.
    public static func cache(_ hit: Weft_V1_CacheHit?) -> String {
        guard let hit, hit.outcome != .unspecified else { return "-" }
        switch hit.outcome {
        case .reused, .adapted: return String(format: "%@(%.2f)", hit.outcome.shortName, hit.similarity)
        default: return hit.outcome.shortName
        }
    }

    /// A workflow's cache summary: `2 reused / 1 adapted / 7 missed (1.20s saved)`.
    public static func cacheSummary(_ cache: Weft_V1_CacheSummary) -> String {
        var text = "\(cache.reused) reused / \(cache.adapted) adapted / \(cache.missed) missed"
        if cache.timeSavedMs > 0 { text += " (\(duration(ms: cache.timeSavedMs)) saved)" }
        return text
    }

    /// `completed/total`, or `-` when the event carries no progress.
    public static func progress(_ progress: Weft_V1_Progress?) -> String {
        guard let progress else { return "-" }
        return "\(progress.completed)/\(progress.total)"
    }

    /// A `key=value` pair for line output; the value is quoted (JSON string rules) when it is empty or holds a
    /// space, a quote, `=` or a control character, so every line splits unambiguously.
    public static func pair(_ key: String, _ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" }
        if plain { return "\(key)=\(value)" }
        var quoted = ""
        JSONString.append(value, to: &quoted)
        return "\(key)=\(quoted)"
    }

    /// A local wall-clock time with milliseconds, `14:03:07.412`, from milliseconds since the Unix epoch.
    public static func clock(unixMs: UInt64) -> String {
        let date = Date(timeIntervalSince1970: Double(unixMs) / 1000)
        var parts = Calendar.current.dateComponents([.hour, .minute, .second], from: date)
        parts.nanosecond = nil
        return String(
            format: "%02d:%02d:%02d.%03d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, unixMs % 1000)
    }

    /// `text` padded with spaces to `width` characters (never cut).
    public static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `text` cut to `width` visible characters (ANSI colour sequences do not count), ending in `…` when cut.
    public static func truncate(_ text: String, width: Int) -> String {
        guard visibleCount(text) > width else { return text }
        guard width > 0 else { return "" }
        var result = ""
        var visible = 0
        var inEscape = false
        for character in text {
            if inEscape || character == "\u{1B}" {
                result.append(character)
                inEscape = character == "\u{1B}" || !character.isLetter
                continue
            }
            if visible == width - 1 { break }
            result.append(character)
            visible += 1
        }
        return result + "…" + (result.contains("\u{1B}") ? ANSI.reset : "")
    }

    /// The number of characters a terminal shows for `text`: ANSI escape sequences count for nothing.
    public static func visibleCount(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for character in text {
            if inEscape || character == "\u{1B}" {
                inEscape = character == "\u{1B}" || !character.isLetter
                continue
            }
            count += 1
        }
        return count
    }
}

/// ANSI escape sequences used by the live view.
public enum ANSI {
    /// Ends every style.
    public static let reset = "\u{1B}[0m"
    /// Bold text.
    public static let bold = "\u{1B}[1m"
    /// Faint text.
    public static let dim = "\u{1B}[2m"
    /// Red text.
    public static let red = "\u{1B}[31m"
    /// Green text.
    public static let green = "\u{1B}[32m"
    /// Yellow text.
    public static let yellow = "\u{1B}[33m"
    /// Cyan text.
    public static let cyan = "\u{1B}[36m"
    /// Erases from the cursor to the end of the screen.
    public static let clearToEnd = "\u{1B}[J"

    /// Moves the cursor up `lines` lines, to column 0.
    public static func up(_ lines: Int) -> String { lines > 0 ? "\r\u{1B}[\(lines)A" : "\r" }
}
