import MLflowCore

extension SQLiteStore {
    /// `runs/search`: runs of the given experiments matching every filter clause, in
    /// order-by order with MLflow's tie-breakers (start_time DESC, then run id), one page.
    public func searchRuns(_ request: RunSearchRequest) throws -> Page<Run> {
        try SearchLimits.check(request.maxResults)
        let experimentKeys = try request.experimentIDs.map(Validation.experimentID)
        let clauses = try RunSearchParser.filter(request.filter)
        let orderKeys = try RunSearchParser.orderBy(request.orderBy)
        let offset = try PageToken.offset(from: request.pageToken)
        if experimentKeys.isEmpty { return Page(items: [], nextPageToken: nil) }

        var query = SQLQueryBuilder(select: "SELECT r.run_key FROM runs r")
        query.condition(
            "r.experiment_id IN (\(SQLQueryBuilder.placeholders(experimentKeys.count)))", experimentKeys.map(SQLValue.integer))
        let stages = request.viewType.stages.map { SQLValue.text($0.rawValue) }
        query.condition("r.lifecycle_stage IN (\(SQLQueryBuilder.placeholders(stages.count)))", stages)
        for clause in clauses { RunSearchSQL.add(clause, to: &query) }
        for key in orderKeys { RunSearchSQL.add(key, to: &query) }
        if !orderKeys.contains(where: { $0.entity == .attribute && $0.key == "start_time" }) {
            query.order("r.start_time DESC")
        }
        query.order("r.run_id ASC")

        return try page(query, maxResults: request.maxResults, offset: offset, load: loadRuns)
    }
}

/// Translation of run-search clauses and order keys into SQL over the schema.
enum RunSearchSQL {
    static let statusName = """
        (CASE r.status WHEN 1 THEN 'RUNNING' WHEN 2 THEN 'SCHEDULED' WHEN 3 THEN 'FINISHED' \
        WHEN 4 THEN 'FAILED' WHEN 5 THEN 'KILLED' END)
        """

    /// The SQL expression of a run attribute; keys come from the parser's fixed set.
    static func attribute(_ key: String) -> String {
        switch key {
        case "run_id": "r.run_id"
        case "run_name": "r.name"
        case "status": statusName
        case "user_id": "r.user_id"
        case "artifact_uri": "r.artifact_uri"
        case "end_time": "r.end_time"
        default: "r.start_time"
        }
    }

    static func add(_ clause: FilterClause, to query: inout SQLQueryBuilder) {
        switch clause.entity {
        case .metric:
            guard case .number(let number) = clause.value else { return }
            // A NaN latest value matches only `!=`.
            let test = clause.comparator == .notEqual
                ? "(m.is_nan = 1 OR m.value != ?)"
                : "(m.is_nan = 0 AND m.value \(clause.comparator.rawValue) ?)"
            query.condition(
                "EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_key = r.run_key AND m.key = ? AND \(test))",
                [.text(clause.key), .real(number)])
        case .parameter, .tag:
            let table = clause.entity == .parameter ? "params" : "tags"
            let keyed = "SELECT 1 FROM \(table) p WHERE p.run_key = r.run_key AND p.key = ?"
            switch clause.comparator {
            case .isNull: query.condition("NOT EXISTS (\(keyed))", [.text(clause.key)])
            case .isNotNull: query.condition("EXISTS (\(keyed))", [.text(clause.key)])
            default:
                guard case .string(let value) = clause.value else { return }
                let (test, bindings) = StringMatch.sql("p.value", clause.comparator, value)
                query.condition("EXISTS (\(keyed) AND \(test))", [.text(clause.key)] + bindings)
            }
        case .attribute:
            let expression = attribute(clause.key)
            switch clause.value {
            case .number(let number):
                query.condition("\(expression) \(clause.comparator.rawValue) ?", [.integer(Int64(number))])
            case .string(let value):
                let (test, bindings) = StringMatch.sql(expression, clause.comparator, value)
                query.condition(test, bindings)
            case .list(let items):
                let negation = clause.comparator == .notIn ? "NOT " : ""
                query.condition("\(expression) \(negation)IN (\(SQLQueryBuilder.placeholders(items.count)))", items.map(SQLValue.text))
            case .none:
                break
            }
        case .dataset:
            let (source, column, extra): (String, String, [SQLValue]) =
                clause.key == "context"
                ? ("run_input_tags d WHERE d.run_key = r.run_key AND d.key = ?", "d.value", [.text("mlflow.data.context")])
                : ("run_inputs i JOIN datasets d ON d.dataset_key = i.dataset_key WHERE i.run_key = r.run_key",
                   clause.key == "digest" ? "d.digest" : "d.name", [])
            switch clause.value {
            case .string(let value):
                let (test, bindings) = StringMatch.sql(column, clause.comparator, value)
                query.condition("EXISTS (SELECT 1 FROM \(source) AND \(test))", extra + bindings)
            case .list(let items):
                // As MLflow: the run has some dataset whose field is (or is not) in the list.
                let negation = clause.comparator == .notIn ? "NOT " : ""
                query.condition(
                    "EXISTS (SELECT 1 FROM \(source) AND \(column) \(negation)IN (\(SQLQueryBuilder.placeholders(items.count))))",
                    extra + items.map(SQLValue.text))
            default:
                break
            }
        }
    }

    /// Runs without the key sort last in both directions; for metrics NaN comes after real
    /// values and before missing ones.
    static func add(_ key: OrderKey, to query: inout SQLQueryBuilder) {
        let direction = key.ascending ? "ASC" : "DESC"
        switch key.entity {
        case .metric:
            let alias = query.alias()
            query.join("LEFT JOIN latest_metrics \(alias) ON \(alias).run_key = r.run_key AND \(alias).key = ?", [.text(key.key)])
            query.order("\(alias).run_key IS NULL, \(alias).is_nan, \(alias).value \(direction)")
        case .parameter, .tag:
            let alias = query.alias()
            let table = key.entity == .parameter ? "params" : "tags"
            query.join("LEFT JOIN \(table) \(alias) ON \(alias).run_key = r.run_key AND \(alias).key = ?", [.text(key.key)])
            query.order("\(alias).value IS NULL, \(alias).value \(direction)")
        case .attribute, .dataset:
            let expression = attribute(key.key)
            query.order("\(expression) IS NULL, \(expression) \(direction)")
        }
    }
}
