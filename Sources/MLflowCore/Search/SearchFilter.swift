/// What a search clause compares.
public enum SearchEntity: String, Sendable, CaseIterable {
    case metric, parameter, tag, attribute, dataset

    /// Every spelling MLflow accepts before the dot (`metrics.`, `params.`, `attr.`, ...).
    static func named(_ name: String) -> SearchEntity? {
        switch name {
        case "metric", "metrics": .metric
        case "parameter", "parameters", "param", "params": .parameter
        case "tag", "tags": .tag
        case "attribute", "attributes", "attr", "run": .attribute
        case "dataset", "datasets": .dataset
        default: nil
        }
    }
}

/// A comparison operator of the filter grammar.
public enum Comparator: String, Sendable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case like = "LIKE", ilike = "ILIKE", isIn = "IN", notIn = "NOT IN", isNull = "IS NULL", isNotNull = "IS NOT NULL"

    static let numeric: Set<Comparator> = [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]
}

/// The right-hand side of a clause.
public enum FilterValue: Equatable, Sendable {
    case number(Double)
    case string(String)
    case list([String])
    /// `IS NULL` / `IS NOT NULL` take no value.
    case none
}

/// One `identifier comparator value` clause, checked against MLflow's rules for its entity.
public struct FilterClause: Equatable, Sendable {
    public var entity: SearchEntity
    /// The metric, param or tag key; for attributes the canonical attribute name
    /// (`created` → `start_time`, `run name` → `run_name`); for datasets `name`, `digest` or `context`.
    public var key: String
    public var comparator: Comparator
    public var value: FilterValue

    public init(entity: SearchEntity, key: String, comparator: Comparator, value: FilterValue) {
        self.entity = entity
        self.key = key
        self.comparator = comparator
        self.value = value
    }
}

/// One `order_by` element.
public struct OrderKey: Equatable, Sendable {
    public var entity: SearchEntity
    public var key: String
    public var ascending: Bool

    public init(entity: SearchEntity, key: String, ascending: Bool) {
        self.entity = entity
        self.key = key
        self.ascending = ascending
    }
}
