/// One lexical unit of a search filter or order-by clause, with the character offset where it
/// starts (for error messages that point at it).
public struct SearchToken: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `metrics.acc`, ``tags.`my key` ``, `params."a b"`, `start_time`: entity and key, quotes removed.
        case identifier(entity: String?, key: String)
        /// `'text'` or `"text"` (a double-quoted word is also a valid identifier key, so the
        /// parser decides what it means by position).
        case string(String)
        /// A number as written (`-1`, `0.5`, `1e-3`).
        case number(String)
        /// `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`.
        case symbol(String)
        /// A bare word: `AND`, `LIKE`, `IN`, `IS`, `NOT`, `NULL`, `ASC`, ... (upper-cased).
        case keyword(String)
        case openParenthesis, closeParenthesis, comma
    }

    public let kind: Kind
    public let offset: Int
    /// The token as it appeared in the input.
    public let text: String
}

/// Splits a filter or order-by string into tokens. Knows nothing of what the words mean.
///
/// Identifiers are `word(.word)*`, where the part after the first dot may also be quoted with
/// backticks, double or single quotes; quoted strings end at the matching quote (a doubled
/// quote inside stands for one). Anything else is an error naming the offset.
public enum SearchTokenizer {
    static let keywords: Set<String> = ["AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL", "ASC", "DESC"]

    public static func tokenize(_ input: String) throws -> [SearchToken] {
        let characters = Array(input)
        var tokens: [SearchToken] = []
        var index = 0

        func error(_ message: String) -> MLflowError {
            MLflowError(.invalidParameterValue, "\(message) at position \(index) of '\(input)'")
        }

        /// Reads a quoted run starting at `index` (on the quote); returns its content.
        func quoted() throws -> String {
            let quote = characters[index]
            var text = ""
            index += 1
            while true {
                guard index < characters.count else { throw error("Unterminated quoted string") }
                if characters[index] == quote {
                    if index + 1 < characters.count, characters[index + 1] == quote {
                        text.append(quote)
                        index += 2
                        continue
                    }
                    index += 1
                    return text
                }
                text.append(characters[index])
                index += 1
            }
        }

        func isWordStart(_ c: Character) -> Bool { c.isLetter || c == "_" }
        func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

        while index < characters.count {
            let c = characters[index]
            let start = index
            if c.isWhitespace {
                index += 1
                continue
            }
            func add(_ kind: SearchToken.Kind) {
                tokens.append(SearchToken(kind: kind, offset: start, text: String(characters[start..<index])))
            }
            switch c {
            case "(": index += 1; add(.openParenthesis)
            case ")": index += 1; add(.closeParenthesis)
            case ",": index += 1; add(.comma)
            case "=": index += 1; add(.symbol("="))
            case "!", "<", ">":
                index += 1
                if index < characters.count, characters[index] == "=" || (c == "<" && characters[index] == ">") {
                    index += 1
                }
                let symbol = String(characters[start..<index])
                if symbol == "!" { throw error("Unexpected '!'") }
                add(.symbol(symbol == "<>" ? "!=" : symbol))
            case "'", "\"":
                add(.string(try quoted()))
            case "`":
                // A backticked entity (`` `metrics`.x ``) or a whole backticked attribute name.
                let entity = try quoted()
                if index < characters.count, characters[index] == "." {
                    index += 1
                    add(.identifier(entity: entity, key: try identifierKey()))
                } else {
                    add(.identifier(entity: nil, key: entity))
                }
            case _ where c.isNumber || c == "-" || c == "." || c == "+":
                index += 1
                while index < characters.count, characters[index].isNumber || characters[index] == "." {
                    index += 1
                }
                if index < characters.count, characters[index] == "e" || characters[index] == "E" {
                    index += 1
                    if index < characters.count, characters[index] == "-" || characters[index] == "+" { index += 1 }
                    while index < characters.count, characters[index].isNumber { index += 1 }
                }
                let text = String(characters[start..<index])
                guard Double(text) != nil else { throw error("Invalid number '\(text)'") }
                add(.number(text))
            case _ where isWordStart(c):
                while index < characters.count, isWordCharacter(characters[index]) { index += 1 }
                let word = String(characters[start..<index])
                if index < characters.count, characters[index] == "." {
                    index += 1
                    add(.identifier(entity: word, key: try identifierKey()))
                } else if keywords.contains(word.uppercased()) {
                    add(.keyword(word.uppercased()))
                } else {
                    add(.identifier(entity: nil, key: word))
                }
            default:
                throw error("Unexpected character '\(c)'")
            }
        }
        return tokens

        /// The key after `entity.`: quoted, or bare words joined by dots (`mlflow.runName`).
        func identifierKey() throws -> String {
            guard index < characters.count else { throw error("Missing key after '.'") }
            let c = characters[index]
            if c == "`" || c == "\"" || c == "'" { return try quoted() }
            let start = index
            while index < characters.count, isWordCharacter(characters[index]) || characters[index] == "." {
                index += 1
            }
            guard index > start else { throw error("Missing key after '.'") }
            return String(characters[start..<index])
        }
    }
}
