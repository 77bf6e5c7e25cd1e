import MLflowCore

/// Assembles one SELECT from parts, keeping every value a bound parameter.
///
/// Joins come before the WHERE clause in the SQL text, so their bindings are kept apart and
/// emitted first. Only fixed SQL fragments written in this module go into the text.
struct SQLQueryBuilder {
    private let select: String
    private var joins: [String] = []
    private var joinBindings: [SQLValue] = []
    private var conditions: [String] = []
    private var conditionBindings: [SQLValue] = []
    private var orderTerms: [String] = []
    private var aliasCount = 0

    init(select: String) { self.select = select }

    /// A fresh table alias (`j0`, `j1`, ...).
    mutating func alias() -> String {
        defer { aliasCount += 1 }
        return "j\(aliasCount)"
    }

    mutating func join(_ sql: String, _ bindings: [SQLValue]) {
        joins.append(sql)
        joinBindings += bindings
    }

    mutating func condition(_ sql: String, _ bindings: [SQLValue] = []) {
        conditions.append(sql)
        conditionBindings += bindings
    }

    mutating func order(_ term: String) { orderTerms.append(term) }

    /// `?, ?, ?` for `count` values.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    func build(limit: Int, offset: Int) -> (sql: String, bindings: [SQLValue]) {
        var sql = select
        for join in joins { sql += " " + join }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        if !orderTerms.isEmpty { sql += " ORDER BY " + orderTerms.joined(separator: ", ") }
        sql += " LIMIT ? OFFSET ?"
        return (sql, joinBindings + conditionBindings + [.integer(Int64(limit)), .integer(Int64(offset))])
    }
}

/// SQL for MLflow's string comparators.
enum StringMatch {
    /// `LIKE` is case-sensitive in MLflow: it becomes SQLite's `GLOB` with the pattern
    /// translated (`%` → `*`, `_` → `?`, GLOB's own specials bracketed). `ILIKE` is SQLite's
    /// `LIKE`, which ignores ASCII case.
    static func sql(_ expression: String, _ comparator: Comparator, _ value: String) -> (String, [SQLValue]) {
        switch comparator {
        case .like: ("\(expression) GLOB ?", [.text(globPattern(value))])
        case .ilike: ("\(expression) LIKE ?", [.text(value)])
        case .notEqual: ("\(expression) != ?", [.text(value)])
        default: ("\(expression) = ?", [.text(value)])
        }
    }

    static func globPattern(_ like: String) -> String {
        var pattern = ""
        for character in like {
            switch character {
            case "%": pattern += "*"
            case "_": pattern += "?"
            case "*": pattern += "[*]"
            case "?": pattern += "[?]"
            case "[": pattern += "[[]"
            default: pattern.append(character)
            }
        }
        return pattern
    }
}
