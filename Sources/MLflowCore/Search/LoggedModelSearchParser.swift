/// The `logged-models/search` filter: attributes (`name`, `model_id`, `model_type`, `status`,
/// `source_run_id`, `creation_time`, `last_updated_time`), `tags.` and `params.`.
///
/// Metric filters and dataset-scoped ordering of MLflow 3 are not supported (400).
public enum LoggedModelSearchParser {
    static let stringAttributes = ["name": "name", "model_id": "model_id", "model_type": "model_type", "status": "status", "source_run_id": "source_run_id"]
    static let numericAttributes = [
        "creation_time": "creation_time", "creation_timestamp": "creation_time",
        "last_updated_time": "last_updated_time", "last_updated_timestamp": "last_updated_time",
    ]
    static let stringComparators: Set<Comparator> = [.equal, .notEqual, .like, .ilike, .isIn, .notIn]

    public static func filter(_ filter: String?) throws -> [FilterClause] {
        try SearchGrammar.filter(filter, identify: identify, check: { try check($0, valueText: $1) })
    }

    /// An order-by field name (`field_name` of MLflow's order-by message) as an attribute key.
    public static func orderField(_ name: String) throws -> String {
        guard let key = stringAttributes[name] ?? numericAttributes[name] else {
            throw MLflowError(.invalidParameterValue, "Invalid order_by field '\(name)' for logged models.")
        }
        return key
    }

    static func identify(_ token: SearchToken) throws -> (SearchEntity, String) {
        let (entity, key) = try RunSearchParser.identify(token, attributes: stringAttributes.merging(numericAttributes) { a, _ in a })
        guard entity == .attribute || entity == .tag || entity == .parameter else {
            throw MLflowError(.invalidParameterValue, "Invalid entity type '\(entity.rawValue)' in a logged model filter. Valid values are ['attribute', 'tag', 'param']")
        }
        return (entity, key)
    }

    private static func check(_ clause: FilterClause, valueText: String) throws {
        let numeric = clause.entity == .attribute && numericAttributes.values.contains(clause.key)
        let allowed = numeric ? Comparator.numeric : (clause.entity == .attribute ? stringComparators : RunSearchParser.keyValueComparators)
        guard allowed.contains(clause.comparator) else {
            throw MLflowError(.invalidParameterValue, "Invalid comparator '\(clause.comparator.rawValue)' not one of '\(allowed.map(\.rawValue).sorted())'")
        }
        switch clause.value {
        case .number where numeric, .string where !numeric, .none where !numeric:
            return
        case .list(let items) where !numeric && !items.isEmpty && (clause.comparator == .isIn || clause.comparator == .notIn):
            return
        default:
            throw MLflowError(.invalidParameterValue, "Invalid value \(valueText) for '\(clause.key)' in a logged model filter.")
        }
    }
}
