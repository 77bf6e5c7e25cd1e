import MLflowCore

extension SQLiteStore {
    /// `experiments/search`: by default newest first (creation_time DESC, experiment_id ASC);
    /// with user keys, experiment_id DESC breaks ties unless it is among them.
    public func searchExperiments(_ request: ExperimentSearchRequest) throws -> Page<Experiment> {
        try SearchLimits.check(request.maxResults)
        let clauses = try ExperimentSearchParser.filter(request.filter)
        let orderKeys = try ExperimentSearchParser.orderBy(request.orderBy)
        let offset = try PageToken.offset(from: request.pageToken)

        var query = SQLQueryBuilder(select: "SELECT e.experiment_id FROM experiments e")
        let stages = request.viewType.stages.map { SQLValue.text($0.rawValue) }
        query.condition("e.lifecycle_stage IN (\(SQLQueryBuilder.placeholders(stages.count)))", stages)
        for clause in clauses { Self.add(clause, to: &query) }
        if orderKeys.isEmpty {
            query.order("e.creation_time DESC")
            query.order("e.experiment_id ASC")
        } else {
            for key in orderKeys { query.order("e.\(Self.column(key.key)) \(key.ascending ? "ASC" : "DESC")") }
            if !orderKeys.contains(where: { $0.key == "experiment_id" }) { query.order("e.experiment_id DESC") }
        }

        return try page(query, maxResults: request.maxResults, offset: offset) { ids in
            try ids.compactMap { try loadExperiment(where: "experiment_id = ?", .integer($0)) }
        }
    }

    /// Column of an experiment attribute; keys come from the parser's fixed set.
    private static func column(_ key: String) -> String {
        switch key {
        case "name": "name"
        case "creation_time": "creation_time"
        case "last_update_time": "last_update_time"
        default: "experiment_id"
        }
    }

    private static func add(_ clause: FilterClause, to query: inout SQLQueryBuilder) {
        if clause.entity == .tag {
            let keyed = "SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ?"
            switch (clause.comparator, clause.value) {
            case (.isNull, _): query.condition("NOT EXISTS (\(keyed))", [.text(clause.key)])
            case (.isNotNull, _): query.condition("EXISTS (\(keyed))", [.text(clause.key)])
            case (_, .string(let value)):
                let (test, bindings) = StringMatch.sql("t.value", clause.comparator, value)
                query.condition("EXISTS (\(keyed) AND \(test))", [.text(clause.key)] + bindings)
            default: break
            }
            return
        }
        let column = "e.\(column(clause.key))"
        switch clause.value {
        case .string(let value) where clause.key == "experiment_id":
            query.condition("\(column) \(clause.comparator.rawValue) ?", [.integer(Int64(value) ?? -1)])
        case .string(let value):
            let (test, bindings) = StringMatch.sql(column, clause.comparator, value)
            query.condition(test, bindings)
        case .number(let number):
            query.condition("\(column) \(clause.comparator.rawValue) ?", [.integer(Int64(number))])
        case .list(let items):
            let negation = clause.comparator == .notIn ? "NOT " : ""
            query.condition("\(column) \(negation)IN (\(SQLQueryBuilder.placeholders(items.count)))", items.map { .integer(Int64($0) ?? -1) })
        case .none:
            break
        }
    }
}
