import MLflowCore

/// What `createLoggedModel` needs.
public struct NewLoggedModel: Sendable {
    public var experimentID: String
    public var name: String?
    public var modelType: String?
    public var sourceRunID: String?
    public var params: [KeyValue]
    public var tags: [KeyValue]

    public init(experimentID: String, name: String? = nil, modelType: String? = nil, sourceRunID: String? = nil, params: [KeyValue] = [], tags: [KeyValue] = []) {
        self.experimentID = experimentID
        self.name = name
        self.modelType = modelType
        self.sourceRunID = sourceRunID
        self.params = params
        self.tags = tags
    }
}

/// A `logged-models/search` request.
public struct LoggedModelSearchRequest: Sendable {
    public static let defaultMaxResults = 50

    public var experimentIDs: [String]
    public var filter: String?
    public var maxResults: Int
    /// (field name, ascending) pairs.
    public var orderBy: [(field: String, ascending: Bool)]
    public var pageToken: String?

    public init(experimentIDs: [String], filter: String? = nil, maxResults: Int = defaultMaxResults, orderBy: [(field: String, ascending: Bool)] = [], pageToken: String? = nil) {
        self.experimentIDs = experimentIDs
        self.filter = filter
        self.maxResults = maxResults
        self.orderBy = orderBy
        self.pageToken = pageToken
    }
}

extension SQLiteStore {
    public func createLoggedModel(_ request: NewLoggedModel) throws -> LoggedModel {
        let experimentKey = try Validation.experimentID(request.experimentID)
        for pair in request.params + request.tags { try Validation.key(pair.key, what: "Key") }
        if let name = request.name, !name.isEmpty { try Validation.loggedModelName(name) }
        return try write {
            guard
                let (stage, location) = try db.first(
                    "SELECT lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = ?", [.integer(experimentKey)],
                    { ($0.text(0), $0.text(1)) })
            else { throw MLflowError.experimentNotFound(request.experimentID) }
            if stage != LifecycleStage.active.rawValue {
                throw MLflowError(.invalidParameterValue, "Could not create a logged model in non-active experiment \(request.experimentID).")
            }
            if let runID = request.sourceRunID, !runID.isEmpty, try runRecord(runID) == nil { throw MLflowError.runNotFound(runID) }
            let modelID = "m-" + RunID.make()
            let now = clock()
            let name = request.name.flatMap { $0.isEmpty ? nil : $0 } ?? RunNameGenerator.make()
            try db.run(
                """
                INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_time, last_updated_time,
                    status, lifecycle_stage, model_type, source_run_id, status_message)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, NULL)
                """,
                [.text(modelID), .integer(experimentKey), .text(name), .text(ArtifactLocation.forLoggedModel(modelID, experimentLocation: location)),
                 .integer(now), .integer(now), .integer(Int64(LoggedModelStatus.pending.rawValue)),
                 request.modelType.map(SQLValue.text) ?? .null, request.sourceRunID.flatMap { $0.isEmpty ? nil : SQLValue.text($0) } ?? .null])
            let key = db.lastInsertRowID
            try upsert("logged_model_params", key, request.params)
            try upsert("logged_model_tags", key, request.tags)
            return try loadLoggedModels([key])[0]
        }
    }

    /// A logged model; a deleted one only when `allowDeleted`, as MLflow's `allow_deleted`.
    public func loggedModel(id: String, allowDeleted: Bool = false) throws -> LoggedModel {
        try read {
            guard let key = try loggedModelKey(id), let model = try loadLoggedModels([key]).first,
                allowDeleted || model.lifecycleStage == .active
            else { throw Self.modelNotFound(id) }
            return model
        }
    }

    public func finalizeLoggedModel(id: String, status: LoggedModelStatus) throws -> LoggedModel {
        try write {
            let key = try requireLoggedModel(id)
            try db.run(
                "UPDATE logged_models SET status = ?, last_updated_time = ? WHERE model_key = ?",
                [.integer(Int64(status.rawValue)), .integer(clock()), .integer(key)])
            return try loadLoggedModels([key])[0]
        }
    }

    public func deleteLoggedModel(id: String) throws {
        try write {
            let key = try requireLoggedModel(id)
            try db.run("UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_time = ? WHERE model_key = ?", [.integer(clock()), .integer(key)])
        }
    }

    public func setLoggedModelTags(id: String, tags: [KeyValue]) throws -> LoggedModel {
        for tag in tags { try Validation.key(tag.key, what: "Tag key") }
        return try write {
            let key = try requireLoggedModel(id)
            try upsert("logged_model_tags", key, tags)
            try db.run("UPDATE logged_models SET last_updated_time = ? WHERE model_key = ?", [.integer(clock()), .integer(key)])
            return try loadLoggedModels([key])[0]
        }
    }

    public func deleteLoggedModelTag(id: String, key tagKey: String) throws {
        try write {
            let key = try requireLoggedModel(id)
            if try db.run("DELETE FROM logged_model_tags WHERE model_key = ? AND key = ?", [.integer(key), .text(tagKey)]) == 0 {
                throw MLflowError(.resourceDoesNotExist, "No tag with key '\(tagKey)' on logged model '\(id)'.")
            }
        }
    }

    public func logLoggedModelParams(id: String, params: [KeyValue]) throws {
        for param in params { try Validation.key(param.key, what: "Param key") }
        try write {
            let key = try requireLoggedModel(id)
            try upsert("logged_model_params", key, params)
        }
    }

    /// Records the models a run produced (`runs/outputs`); repeating one updates its step.
    public func logOutputs(runID: String, models: [ModelOutput]) throws {
        try write {
            let run = try activeRun(runID)
            for model in models {
                if try loggedModelKey(model.modelID) == nil { throw Self.modelNotFound(model.modelID) }
                try db.run(
                    "INSERT INTO run_model_outputs (run_key, model_id, step) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET step = excluded.step",
                    [.integer(run.key), .text(model.modelID), .integer(model.step)])
            }
        }
    }

    public func searchLoggedModels(_ request: LoggedModelSearchRequest) throws -> Page<LoggedModel> {
        try SearchLimits.check(request.maxResults)
        let experimentKeys = try request.experimentIDs.map(Validation.experimentID)
        let clauses = try LoggedModelSearchParser.filter(request.filter)
        let orderKeys = try request.orderBy.map { (try LoggedModelSearchParser.orderField($0.field), $0.ascending) }
        let offset = try PageToken.offset(from: request.pageToken)

        var query = SQLQueryBuilder(select: "SELECT m.model_key FROM logged_models m")
        query.condition("m.lifecycle_stage = 'active'")
        if !experimentKeys.isEmpty {
            query.condition("m.experiment_id IN (\(SQLQueryBuilder.placeholders(experimentKeys.count)))", experimentKeys.map(SQLValue.integer))
        }
        for clause in clauses { Self.add(clause, to: &query) }
        for (key, ascending) in orderKeys { query.order("\(Self.column(key)) \(ascending ? "ASC" : "DESC")") }
        query.order("m.creation_time DESC")
        query.order("m.model_id ASC")
        return try page(query, maxResults: request.maxResults, offset: offset, load: loadLoggedModels)
    }

    // MARK: - Helpers

    static func modelNotFound(_ id: String) -> MLflowError {
        MLflowError(.resourceDoesNotExist, "Logged model with ID '\(id)' not found.")
    }

    private func loggedModelKey(_ id: String) throws -> Int64? {
        try db.first("SELECT model_key FROM logged_models WHERE model_id = ?", [.text(id)]) { $0.int64(0) }
    }

    private func requireLoggedModel(_ id: String) throws -> Int64 {
        guard let key = try loggedModelKey(id) else { throw Self.modelNotFound(id) }
        return key
    }

    /// Upserts key/value pairs into one of the two fixed logged-model tables.
    private func upsert(_ table: StaticString, _ modelKey: Int64, _ pairs: [KeyValue]) throws {
        for pair in pairs {
            try db.run(
                "INSERT INTO \(table) (model_key, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
                [.integer(modelKey), .text(pair.key), .text(pair.value)])
        }
    }

    private static func column(_ key: String) -> String {
        switch key {
        case "name": "m.name"
        case "model_id": "m.model_id"
        case "model_type": "m.model_type"
        case "source_run_id": "m.source_run_id"
        case "creation_time": "m.creation_time"
        case "last_updated_time": "m.last_updated_time"
        default: statusName
        }
    }

    private static let statusName = """
        (CASE m.status WHEN 0 THEN 'LOGGED_MODEL_STATUS_UNSPECIFIED' WHEN 1 THEN 'LOGGED_MODEL_PENDING' \
        WHEN 2 THEN 'LOGGED_MODEL_READY' WHEN 3 THEN 'LOGGED_MODEL_UPLOAD_FAILED' END)
        """

    private static func add(_ clause: FilterClause, to query: inout SQLQueryBuilder) {
        if clause.entity != .attribute {
            let table = clause.entity == .tag ? "logged_model_tags" : "logged_model_params"
            let keyed = "SELECT 1 FROM \(table) p WHERE p.model_key = m.model_key AND p.key = ?"
            switch (clause.comparator, clause.value) {
            case (.isNull, _): query.condition("NOT EXISTS (\(keyed))", [.text(clause.key)])
            case (.isNotNull, _): query.condition("EXISTS (\(keyed))", [.text(clause.key)])
            case (_, .string(let value)):
                let (test, bindings) = StringMatch.sql("p.value", clause.comparator, value)
                query.condition("EXISTS (\(keyed) AND \(test))", [.text(clause.key)] + bindings)
            default: break
            }
            return
        }
        let column = column(clause.key)
        switch clause.value {
        case .number(let number): query.condition("\(column) \(clause.comparator.rawValue) ?", [.integer(Int64(number))])
        case .string(let value):
            let (test, bindings) = StringMatch.sql(column, clause.comparator, value)
            query.condition(test, bindings)
        case .list(let items):
            let negation = clause.comparator == .notIn ? "NOT " : ""
            query.condition("\(column) \(negation)IN (\(SQLQueryBuilder.placeholders(items.count)))", items.map(SQLValue.text))
        case .none: break
        }
    }

    private func loadLoggedModels(_ keys: [Int64]) throws -> [LoggedModel] {
        if keys.isEmpty { return [] }
        let keyList = SQLValue.text("[" + keys.map(String.init).joined(separator: ",") + "]")
        let inKeys = "IN (SELECT value FROM json_each(?))"
        var models: [Int64: LoggedModel] = [:]
        try db.query(
            """
            SELECT model_key, model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, status,
                lifecycle_stage, model_type, source_run_id, status_message
            FROM logged_models WHERE model_key \(inKeys)
            """, [keyList]
        ) { row in
            models[row.int64(0)] = LoggedModel(
                modelID: row.text(1), experimentID: String(row.int64(2)), name: row.text(3), artifactLocation: row.text(4),
                creationTime: row.int64(5), lastUpdatedTime: row.int64(6),
                status: LoggedModelStatus(rawValue: Int(row.int64(7))) ?? .unspecified,
                lifecycleStage: LifecycleStage(rawValue: row.text(8)) ?? .active,
                modelType: row.optionalText(9), sourceRunID: row.optionalText(10), statusMessage: row.optionalText(11), tags: [], params: [])
        }
        try db.query("SELECT model_key, key, value FROM logged_model_tags WHERE model_key \(inKeys) ORDER BY model_key, key", [keyList]) { row in
            models[row.int64(0)]?.tags.append(KeyValue(key: row.text(1), value: row.text(2)))
        }
        try db.query("SELECT model_key, key, value FROM logged_model_params WHERE model_key \(inKeys) ORDER BY model_key, key", [keyList]) { row in
            models[row.int64(0)]?.params.append(KeyValue(key: row.text(1), value: row.text(2)))
        }
        return keys.compactMap { models[$0] }
    }
}
