import Foundation

/// The normalization applied to every cache text and constraint value, so that texts differing only in case,
/// spacing or decoration share one exact key.
///
/// The rules, in order (identical on every platform: they use the standard library's Unicode tables and Foundation's
/// NFKC only):
/// 1. Unicode NFKC (compatibility composition): full-width letters, ligatures and composed/decomposed accents become
///    one form (`"ﬁle"` → `"file"`, `"Ｇｏ"` → `"Go"`, `"e\u{301}"` → `"é"`).
/// 2. Lower case with the full Unicode mapping (`String.lowercased()`: `"ÉCOLE"` → `"école"`).
/// 3. Per character (grapheme cluster):
///    - letters and numbers of any script are kept;
///    - apostrophes (`'`, `’`) are deleted, so `"user's"` → `"users"` and `"don't"` → `"dont"`;
///    - `+` and `#` are kept when they follow a kept letter, number, `+` or `#` (`"c++"`, `"c#"`, `"f#"`), else they
///      separate words;
///    - `.`, `_`, `-`, `/` are kept only between two letters or numbers (`"node.js"`, `"v1.2"`, `"user_id"`,
///      `"x86-64"`, `"input/output"`), else they separate words (a sentence's final period, `"- item"`);
///    - everything else (white space, other punctuation, symbols, emoji) separates words.
/// 4. Separators collapse to one space; leading and trailing ones are dropped.
public enum TextNormalizer {
    /// `text` normalized by the rules above.
    public static func normalize(_ text: String) -> String {
        let characters = Array(text.precomposedStringWithCompatibilityMapping.lowercased())
        var output = ""
        output.reserveCapacity(characters.count)
        var pendingSpace = false
        var previousKept: Character?

        func emit(_ character: Character) {
            if pendingSpace, !output.isEmpty { output.append(" ") }
            pendingSpace = false
            output.append(character)
            previousKept = character
        }

        for (index, character) in characters.enumerated() {
            if isWordCharacter(character) {
                emit(character)
                continue
            }
            switch character {
            case "'", "\u{2019}":
                continue
            case "+", "#":
                if !pendingSpace, let previous = previousKept,
                    isWordCharacter(previous) || previous == "+" || previous == "#"
                {
                    emit(character)
                    continue
                }
            case ".", "_", "-", "/":
                if !pendingSpace, let previous = previousKept, isWordCharacter(previous),
                    index + 1 < characters.count, isWordCharacter(characters[index + 1])
                {
                    emit(character)
                    continue
                }
            default:
                break
            }
            pendingSpace = true
            previousKept = nil
        }
        return output
    }

    static func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber }
}
