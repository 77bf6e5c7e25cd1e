/// MLflow's experiment-search grammar (contract §10.3): attributes (`name`, `experiment_id`,
/// `creation_time`, `last_update_time`) and tags only.
public enum ExperimentSearchParser {
    static let attributes = ["name": "name", "experiment_id": "experiment_id", "creation_time": "creation_time", "last_update_time": "last_update_time"]
    static let numericAttributes: Set<String> = ["creation_time", "last_update_time"]
    static let nameComparators: Set<Comparator> = [.equal, .notEqual, .like, .ilike]
    static let idComparators: Set<Comparator> = [.equal, .notEqual, .isIn, .notIn]

    public static func filter(_ filter: String?) throws -> [FilterClause] {
        try SearchGrammar.filter(filter, identify: identify, check: { try check(&$0, valueText: $1) })
    }

    public static func orderBy(_ elements: [String]) throws -> [OrderKey] {
        var keys: [OrderKey] = []
        for element in elements {
            var grammar = try SearchGrammar(element)
            let (identifier, ascending) = try grammar.orderElement()
            let (entity, key) = try identify(identifier)
            guard entity == .attribute else {
                throw MLflowError(.invalidParameterValue, "Invalid order_by entity: \(element). Experiments can be ordered by attributes only.")
            }
            if keys.contains(where: { $0.key == key }) {
                throw MLflowError(.invalidParameterValue, "`order_by` contains duplicate fields: \(elements)")
            }
            keys.append(OrderKey(entity: entity, key: key, ascending: ascending))
        }
        return keys
    }

    /// Experiment search knows fewer spellings than run search: `attribute.`, `tag.`, `tags.`.
    static let entityNames: Set<String> = ["attribute", "tag", "tags"]

    private static func identify(_ token: SearchToken) throws -> (SearchEntity, String) {
        if case .identifier(let entityName?, _) = token.kind, !entityNames.contains(entityName) {
            throw MLflowError(
                .invalidParameterValue, "Invalid entity type '\(entityName)'. Valid entity types are ('attribute', 'tag', 'tags')")
        }
        let (entity, key) = try RunSearchParser.identify(token, attributes: attributes)
        guard entity == .attribute || entity == .tag else {
            throw MLflowError(.invalidParameterValue, "Invalid entity type '\(entity.rawValue)'. Valid values are ['attribute', 'tag']")
        }
        return (entity, key)
    }

    private static func check(_ clause: inout FilterClause, valueText: String) throws {
        func invalidComparator(_ allowed: Set<Comparator>) -> MLflowError {
            MLflowError(.invalidParameterValue, "Invalid comparator '\(clause.comparator.rawValue)' not one of '\(allowed.map(\.rawValue).sorted())'")
        }
        if clause.entity == .tag {
            guard RunSearchParser.keyValueComparators.contains(clause.comparator) else { throw invalidComparator(RunSearchParser.keyValueComparators) }
            if case .string = clause.value { return }
            if clause.value == .none { return }
            throw MLflowError(.invalidParameterValue, "Expected a quoted string value for tag (e.g. 'my-value'). Got value \(valueText)")
        }
        switch clause.key {
        case "name":
            guard nameComparators.contains(clause.comparator) else { throw invalidComparator(nameComparators) }
            guard case .string = clause.value else {
                throw MLflowError(.invalidParameterValue, "Expected a quoted string value for attributes. Got value \(valueText)")
            }
        case "experiment_id":
            guard idComparators.contains(clause.comparator) else { throw invalidComparator(idComparators) }
            // Ids are compared as integers; they may be written quoted or not.
            func integer(_ text: String) throws -> String {
                guard let number = Int64(text) else {
                    throw MLflowError(.invalidParameterValue, "Invalid experiment ID '\(text)'. Experiment ID must be a valid integer.")
                }
                return String(number)
            }
            switch clause.value {
            case .string(let text): clause.value = .string(try integer(text))
            case .number(let number) where number.rounded() == number: clause.value = .string(String(Int64(number)))
            case .list(let items) where !items.isEmpty: clause.value = .list(try items.map(integer))
            default: throw MLflowError(.invalidParameterValue, "Invalid value \(valueText) for experiment_id")
            }
            let isList = { if case .list = clause.value { return true } else { return false } }()
            if isList != (clause.comparator == .isIn || clause.comparator == .notIn) {
                throw MLflowError(.invalidParameterValue, "\(clause.comparator.rawValue) on experiment_id needs \(isList ? "a single value" : "a list")")
            }
        default:
            guard Comparator.numeric.contains(clause.comparator) else { throw invalidComparator(Comparator.numeric) }
            guard case .number(let number) = clause.value, number.rounded() == number else {
                throw MLflowError(.invalidParameterValue, "Expected numeric value type for numeric attribute: \(clause.key). Found \(valueText)")
            }
        }
    }
}
