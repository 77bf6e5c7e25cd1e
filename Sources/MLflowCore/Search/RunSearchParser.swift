/// MLflow's run-search grammar (contract §10.1–§10.2): turns `filter` and `order_by` strings
/// into checked `FilterClause`s and `OrderKey`s, or a 400 naming what is wrong.
///
/// It only parses; translating clauses into a query is the store's business.
public enum RunSearchParser {
    static let numericAttributes: [String: String] = ["start_time": "start_time", "end_time": "end_time", "created": "start_time", "Created": "start_time"]
    static let stringAttributes: [String: String] = [
        "run_id": "run_id", "run_name": "run_name", "run name": "run_name", "Run name": "run_name", "Run Name": "run_name",
        "status": "status", "user_id": "user_id", "artifact_uri": "artifact_uri",
    ]
    static let orderableAttributes: [String: String] = [
        "run_id": "run_id", "run_name": "run_name", "status": "status", "user_id": "user_id",
        "artifact_uri": "artifact_uri", "start_time": "start_time", "end_time": "end_time",
        "created": "start_time", "Created": "start_time",
    ]
    static let datasetKeys: Set<String> = ["name", "digest", "context"]

    static let metricComparators = Comparator.numeric
    static let keyValueComparators: Set<Comparator> = [.equal, .notEqual, .like, .ilike, .isNull, .isNotNull]
    static let stringAttributeComparators: Set<Comparator> = [.equal, .notEqual, .like, .ilike, .isIn, .notIn]

    /// The clauses of a filter; an empty or absent filter has none.
    public static func filter(_ filter: String?) throws -> [FilterClause] {
        let attributes = stringAttributes.merging(numericAttributes) { a, _ in a }
        return try SearchGrammar.filter(filter, identify: { try identify($0, attributes: attributes) }, check: { try check($0, valueText: $1) })
    }

    /// The order-by keys, in order; the same field twice is a 400.
    public static func orderBy(_ elements: [String]) throws -> [OrderKey] {
        var keys: [OrderKey] = []
        for element in elements {
            var grammar = try SearchGrammar(element)
            let (identifier, ascending) = try grammar.orderElement()
            let (entity, key) = try identify(identifier, attributes: orderableAttributes)
            if keys.contains(where: { $0.entity == entity && $0.key == key }) {
                throw MLflowError(.invalidParameterValue, "`order_by` contains duplicate fields: \(elements)")
            }
            keys.append(OrderKey(entity: entity, key: key, ascending: ascending))
        }
        return keys
    }

    /// Entity and canonical key of an identifier token.
    static func identify(_ token: SearchToken, attributes: [String: String]) throws -> (SearchEntity, String) {
        guard case .identifier(let entityName, let key) = token.kind else {
            throw MLflowError(.invalidParameterValue, "Invalid identifier '\(token.text)'.")
        }
        let entity: SearchEntity
        if let entityName {
            guard let named = SearchEntity.named(entityName) else {
                throw MLflowError(
                    .invalidParameterValue,
                    "Invalid entity type '\(entityName)'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']")
            }
            entity = named
        } else {
            entity = .attribute
        }
        switch entity {
        case .attribute:
            guard let canonical = attributes[key] else {
                throw MLflowError(
                    .invalidParameterValue, "Invalid attribute key '\(key)' specified. Valid keys are '\(attributes.keys.sorted())'")
            }
            return (entity, canonical)
        case .dataset:
            guard datasetKeys.contains(key) else {
                throw MLflowError(.invalidParameterValue, "Invalid dataset key '\(key)' specified. Valid keys are '\(datasetKeys.sorted())'")
            }
            return (entity, key)
        default:
            return (entity, key)
        }
    }

    private static func check(_ clause: FilterClause, valueText: String) throws {
        func invalidComparator(_ allowed: Set<Comparator>) -> MLflowError {
            MLflowError(
                .invalidParameterValue,
                "Invalid comparator '\(clause.comparator.rawValue)' not one of '\(allowed.map(\.rawValue).sorted())'")
        }
        switch clause.entity {
        case .metric:
            guard metricComparators.contains(clause.comparator) else { throw invalidComparator(metricComparators) }
            guard case .number = clause.value else {
                throw MLflowError(.invalidParameterValue, "Expected numeric value type for metric. Found \(valueText)")
            }
        case .parameter, .tag:
            guard keyValueComparators.contains(clause.comparator) else { throw invalidComparator(keyValueComparators) }
            if clause.comparator == .isNull || clause.comparator == .isNotNull { return }
            guard case .string = clause.value else {
                throw MLflowError(
                    .invalidParameterValue,
                    "Expected a quoted string value for \(clause.entity.rawValue) (e.g. 'my-value'). Got value \(valueText)")
            }
        case .attribute where numericAttributes.values.contains(clause.key):
            guard metricComparators.contains(clause.comparator) else { throw invalidComparator(metricComparators) }
            guard case .number(let number) = clause.value, number.rounded() == number else {
                throw MLflowError(
                    .invalidParameterValue, "Expected numeric value type for numeric attribute: \(clause.key). Found \(valueText)")
            }
        case .attribute:
            guard stringAttributeComparators.contains(clause.comparator) else { throw invalidComparator(stringAttributeComparators) }
            try checkStringOrList(clause, listAllowed: clause.key == "run_id", valueText: valueText)
        case .dataset:
            guard stringAttributeComparators.contains(clause.comparator) else { throw invalidComparator(stringAttributeComparators) }
            try checkStringOrList(clause, listAllowed: true, valueText: valueText)
        }
    }

    private static func checkStringOrList(_ clause: FilterClause, listAllowed: Bool, valueText: String) throws {
        let wantsList = clause.comparator == .isIn || clause.comparator == .notIn
        switch clause.value {
        case .list(let items) where wantsList:
            if !listAllowed {
                throw MLflowError(.invalidParameterValue, "Only the 'run_id' attribute supports comparison with a list of quoted string values.")
            }
            if items.isEmpty { throw MLflowError(.invalidParameterValue, "The list after \(clause.comparator.rawValue) must not be empty.") }
        case .string where !wantsList:
            break
        default:
            throw MLflowError(
                .invalidParameterValue,
                wantsList
                    ? "Expected a list of quoted strings after \(clause.comparator.rawValue) for '\(clause.key)'."
                    : "Expected a quoted string value for attributes. Got value \(valueText)")
        }
    }
}
