/// The clause parser shared by run and experiment search: `clause (AND clause)*` where
/// `clause := identifier comparator value | identifier IS [NOT] NULL`, and the order-by
/// element `identifier [ASC|DESC]`. What each entity and key admits is decided by the
/// caller's `check`, so runs and experiments keep their own rules.
struct SearchGrammar {
    let input: String
    private let tokens: [SearchToken]
    private var position = 0

    init(_ input: String) throws {
        self.input = input
        self.tokens = try SearchTokenizer.tokenize(input)
    }

    /// The checked clauses of a filter (none for an absent or blank one): `identify` names
    /// each clause's entity and key, `check` applies the caller's rules to the clause, given
    /// the value as written.
    static func filter(
        _ filter: String?, identify: (SearchToken) throws -> (SearchEntity, String),
        check: (inout FilterClause, String) throws -> Void
    ) throws -> [FilterClause] {
        guard let filter, !filter.allSatisfy(\.isWhitespace) else { return [] }
        var grammar = try SearchGrammar(filter)
        return try grammar.clauses().map { identifier, comparator, value, valueToken in
            let (entity, key) = try identify(identifier)
            var clause = FilterClause(entity: entity, key: key, comparator: comparator, value: value)
            try check(&clause, valueToken?.text ?? "")
            return clause
        }
    }

    /// Clauses with their raw identifier, comparator and value, not yet checked by entity.
    mutating func clauses() throws -> [(identifier: SearchToken, comparator: Comparator, value: FilterValue, valueToken: SearchToken?)] {
        var result: [(SearchToken, Comparator, FilterValue, SearchToken?)] = []
        if tokens.isEmpty { return result }
        while true {
            result.append(try clause())
            guard let next = peek() else { break }
            guard next.kind == .keyword("AND") else {
                throw error("Invalid clause(s) in filter string: '\(next.text)'", at: next)
            }
            position += 1
            if peek() == nil { throw error("Expected a clause after 'AND'", at: next) }
        }
        return result
    }

    /// The identifier and direction of one order-by element.
    mutating func orderElement() throws -> (identifier: SearchToken, ascending: Bool) {
        guard let identifier = next(), case .identifier = identifier.kind else {
            throw MLflowError(.invalidParameterValue, "Invalid order_by clause '\(input)'. Could not be parsed.")
        }
        var ascending = true
        if let direction = next() {
            switch direction.kind {
            case .keyword("ASC"): ascending = true
            case .keyword("DESC"): ascending = false
            default: throw MLflowError(.invalidParameterValue, "Invalid ordering key in order_by clause '\(input)'.")
            }
        }
        if peek() != nil { throw MLflowError(.invalidParameterValue, "Invalid order_by clause '\(input)'. Could not be parsed.") }
        return (identifier, ascending)
    }

    private mutating func clause() throws -> (SearchToken, Comparator, FilterValue, SearchToken?) {
        guard let identifier = next() else { throw error("Expected an identifier", at: nil) }
        let identifierToken: SearchToken
        switch identifier.kind {
        case .identifier: identifierToken = identifier
        case .string(let text) where identifier.text.hasPrefix("\""):
            // A double-quoted bare name is an attribute identifier in SQL.
            identifierToken = SearchToken(kind: .identifier(entity: nil, key: text), offset: identifier.offset, text: identifier.text)
        default:
            throw error("Invalid clause(s) in filter string: '\(identifier.text)'", at: identifier)
        }
        guard let op = next() else { throw error("Expected a comparator after '\(identifier.text)'", at: nil) }
        switch op.kind {
        case .symbol(let symbol):
            let value = try scalarValue()
            return (identifierToken, Comparator(rawValue: symbol)!, value.0, value.1)
        case .keyword("LIKE"), .keyword("ILIKE"):
            let value = try scalarValue()
            return (identifierToken, op.kind == .keyword("LIKE") ? .like : .ilike, value.0, value.1)
        case .keyword("IN"):
            return (identifierToken, .isIn, try listValue(), nil)
        case .keyword("NOT"):
            guard let inToken = next(), inToken.kind == .keyword("IN") else { throw error("Expected 'IN' after 'NOT'", at: op) }
            return (identifierToken, .notIn, try listValue(), nil)
        case .keyword("IS"):
            var comparator = Comparator.isNull
            if peek()?.kind == .keyword("NOT") {
                position += 1
                comparator = .isNotNull
            }
            guard let null = next(), null.kind == .keyword("NULL") else { throw error("Expected 'NULL' after 'IS'", at: op) }
            return (identifierToken, comparator, .none, nil)
        default:
            throw error("Invalid comparator '\(op.text)'", at: op)
        }
    }

    private mutating func scalarValue() throws -> (FilterValue, SearchToken) {
        guard let token = next() else { throw error("Expected a value", at: nil) }
        switch token.kind {
        case .number(let text): return (.number(Double(text)!), token)
        case .string(let text): return (.string(text), token)
        default: throw error("Expected a value, got '\(token.text)'", at: token)
        }
    }

    private mutating func listValue() throws -> FilterValue {
        guard let open = next(), open.kind == .openParenthesis else { throw error("Expected '(' to start a list", at: peek()) }
        var items: [String] = []
        while true {
            guard let item = next() else { throw error("Unterminated list", at: open) }
            guard case .string(let text) = item.kind else {
                throw error("Expected a quoted string in the list, got '\(item.text)'", at: item)
            }
            items.append(text)
            guard let separator = next() else { throw error("Unterminated list", at: open) }
            if separator.kind == .closeParenthesis { break }
            guard separator.kind == .comma else { throw error("Expected ',' or ')' in the list", at: separator) }
        }
        return .list(items)
    }

    private func peek() -> SearchToken? { position < tokens.count ? tokens[position] : nil }

    private mutating func next() -> SearchToken? {
        defer { position += 1 }
        return peek()
    }

    func error(_ message: String, at token: SearchToken?) -> MLflowError {
        let where_ = token.map { " at position \($0.offset)" } ?? " at the end"
        return MLflowError(.invalidParameterValue, "\(message)\(where_) of filter '\(input)'")
    }
}
