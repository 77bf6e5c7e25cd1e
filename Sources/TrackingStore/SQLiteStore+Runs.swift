import MLflowCore

/// The columns every run lookup needs to enforce lifecycle rules.
struct RunRecord {
    var key: Int64
    var experimentID: Int64
    var lifecycleStage: LifecycleStage
}

extension SQLiteStore {
    static let runNameTag = "mlflow.runName"

    public func createRun(_ request: NewRun) throws -> Run {
        let experimentKey = try Validation.experimentID(request.experimentID)
        var tags = try request.tags.map(Validation.runTag)
        let runName = try Self.resolveRunName(argument: request.runName, tags: tags)
        tags.removeAll { $0.key == Self.runNameTag }
        tags.append(RunTag(key: Self.runNameTag, value: runName))
        tags = Self.lastValuePerKey(tags)

        return try write {
            guard
                let (stage, location) = try db.first(
                    "SELECT lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = ?",
                    [.integer(experimentKey)], { ($0.text(0), $0.text(1)) })
            else { throw MLflowError.experimentNotFound(request.experimentID) }
            if stage != LifecycleStage.active.rawValue {
                throw MLflowError(
                    .invalidParameterValue,
                    "Could not create run under non-active experiment with ID \(request.experimentID).")
            }
            let runID = RunID.make()
            let info = RunInfo(
                runID: runID, experimentID: request.experimentID, runName: runName, userID: request.userID,
                status: .running, startTime: request.startTime, endTime: nil,
                artifactURI: ArtifactLocation.forRun(runID, experimentLocation: location), lifecycleStage: .active)
            try db.run(
                """
                INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
                VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 'active')
                """,
                [.text(runID), .integer(experimentKey), .text(runName), .text(info.userID),
                 .integer(Int64(info.status.rawValue)), .integer(info.startTime), .text(info.artifactURI)])
            let runKey = db.lastInsertRowID
            for tag in tags { try upsertTag(runKey: runKey, tag) }
            return Run(info: info, metrics: [], params: [], tags: tags.sorted { $0.key < $1.key }, datasetInputs: [])
        }
    }

    public func run(id: String) throws -> Run {
        try read {
            guard let (key, info) = try loadRunInfo(id: id) else { throw MLflowError.runNotFound(id) }
            return Run(
                info: info, metrics: try latestMetrics(runKey: key), params: try keyValues("params", runKey: key),
                tags: try keyValues("tags", runKey: key), datasetInputs: try datasetInputs(runKey: key))
        }
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) throws -> RunInfo {
        try write {
            let record = try activeRun(id)
            if let status {
                try db.run("UPDATE runs SET status = ? WHERE run_key = ?", [.integer(Int64(status.rawValue)), .integer(record.key)])
            }
            if let endTime {
                try db.run("UPDATE runs SET end_time = ? WHERE run_key = ?", [.integer(endTime), .integer(record.key)])
            }
            if let runName, !runName.isEmpty {
                try upsertTag(runKey: record.key, RunTag(key: Self.runNameTag, value: runName))
            }
            guard let (_, info) = try loadRunInfo(id: id) else { throw MLflowError.runNotFound(id) }
            return info
        }
    }

    public func deleteRun(id: String) throws {
        try setRunStage(id: id, .deleted)
    }

    public func restoreRun(id: String) throws {
        try setRunStage(id: id, .active)
    }

    // MARK: - Helpers

    /// The run, which must exist and be active (writes to deleted runs are rejected).
    func activeRun(_ id: String) throws -> RunRecord {
        guard let record = try runRecord(id) else { throw MLflowError.runNotFound(id) }
        if record.lifecycleStage != .active {
            throw MLflowError(
                .invalidParameterValue,
                "The run \(id) must be in the 'active' state. Current state is \(record.lifecycleStage.rawValue).")
        }
        return record
    }

    func runRecord(_ id: String) throws -> RunRecord? {
        try db.first("SELECT run_key, experiment_id, lifecycle_stage FROM runs WHERE run_id = ?", [.text(id)]) {
            RunRecord(key: $0.int64(0), experimentID: $0.int64(1), lifecycleStage: LifecycleStage(rawValue: $0.text(2)) ?? .active)
        }
    }

    /// Upserts a run tag; `mlflow.runName` also renames the run.
    func upsertTag(runKey: Int64, _ tag: RunTag) throws {
        try db.run(
            "INSERT INTO tags (run_key, key, value) VALUES (?, ?, ?) ON CONFLICT (run_key, key) DO UPDATE SET value = excluded.value",
            [.integer(runKey), .text(tag.key), .text(tag.value)])
        if tag.key == Self.runNameTag {
            try db.run("UPDATE runs SET name = ? WHERE run_key = ?", [.text(tag.value), .integer(runKey)])
        }
    }

    private func setRunStage(id: String, _ stage: LifecycleStage) throws {
        try write {
            if try db.run("UPDATE runs SET lifecycle_stage = ? WHERE run_id = ?", [.text(stage.rawValue), .text(id)]) == 0 {
                throw MLflowError.runNotFound(id)
            }
        }
    }

    private func loadRunInfo(id: String) throws -> (Int64, RunInfo)? {
        try db.first(
            "SELECT run_key, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage FROM runs WHERE run_id = ?",
            [.text(id)]
        ) { row in
            (row.int64(0),
             RunInfo(
                runID: id, experimentID: String(row.int64(1)), runName: row.text(2), userID: row.text(3),
                status: RunStatus(rawValue: Int(row.int64(4))) ?? .running, startTime: row.int64(5),
                endTime: row.optionalInt64(6), artifactURI: row.text(7),
                lifecycleStage: LifecycleStage(rawValue: row.text(8)) ?? .active))
        }
    }

    private func latestMetrics(runKey: Int64) throws -> [Metric] {
        var metrics: [Metric] = []
        try db.query("SELECT key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_key = ? ORDER BY key", [.integer(runKey)]) { row in
            metrics.append(Metric(key: row.text(0), value: row.int64(2) != 0 ? .nan : row.double(1), timestamp: row.int64(3), step: row.int64(4)))
        }
        return metrics
    }

    /// Params or tags of a run, ordered by key. `table` is one of two fixed names.
    private func keyValues(_ table: StaticString, runKey: Int64) throws -> [KeyValue] {
        var pairs: [KeyValue] = []
        try db.query("SELECT key, value FROM \(table) WHERE run_key = ? ORDER BY key", [.integer(runKey)]) { row in
            pairs.append(KeyValue(key: row.text(0), value: row.text(1)))
        }
        return pairs
    }

    private func datasetInputs(runKey: Int64) throws -> [DatasetInput] {
        var inputs: [(Int64, DatasetInput)] = []
        try db.query(
            """
            SELECT d.dataset_key, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
            FROM run_inputs i JOIN datasets d ON d.dataset_key = i.dataset_key
            WHERE i.run_key = ? ORDER BY i.position
            """, [.integer(runKey)]
        ) { row in
            let dataset = Dataset(
                name: row.text(1), digest: row.text(2), sourceType: row.text(3), source: row.text(4),
                schema: row.optionalText(5), profile: row.optionalText(6))
            inputs.append((row.int64(0), DatasetInput(tags: [], dataset: dataset)))
        }
        for index in inputs.indices {
            try db.query(
                "SELECT key, value FROM run_input_tags WHERE run_key = ? AND dataset_key = ? ORDER BY key",
                [.integer(runKey), .integer(inputs[index].0)]
            ) { row in
                inputs[index].1.tags.append(KeyValue(key: row.text(0), value: row.text(1)))
            }
        }
        return inputs.map(\.1)
    }

    /// The run name a new run gets: the argument, else the `mlflow.runName` tag, else a
    /// generated one; both given and different is a 400.
    static func resolveRunName(argument: String?, tags: [RunTag]) throws -> String {
        let tagged = tags.last { $0.key == runNameTag }?.value
        let argument = argument.flatMap { $0.isEmpty ? nil : $0 }
        if let argument, let tagged, argument != tagged {
            throw MLflowError(
                .invalidParameterValue,
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='\(argument)', mlflow.runName='\(tagged)').")
        }
        return argument ?? tagged ?? RunNameGenerator.make()
    }

    /// Keeps the last value given for each key, in first-seen key order.
    static func lastValuePerKey(_ pairs: [KeyValue]) -> [KeyValue] {
        var order: [String] = []
        var values: [String: String] = [:]
        for pair in pairs {
            if values.updateValue(pair.value, forKey: pair.key) == nil { order.append(pair.key) }
        }
        return order.map { KeyValue(key: $0, value: values[$0]!) }
    }
}

/// MLflow run ids: a random UUID as 32 lowercase hex characters.
enum RunID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
