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
            guard let record = try runRecord(id), let run = try loadRuns([record.key]).first else {
                throw MLflowError.runNotFound(id)
            }
            return run
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
            guard let run = try loadRuns([record.key]).first else { throw MLflowError.runNotFound(id) }
            return run.info
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

    /// Whole runs (info, latest metrics, params, tags, dataset inputs) for `keys`, in that
    /// order, with one query per table however many runs are asked for.
    func loadRuns(_ keys: [Int64]) throws -> [Run] {
        if keys.isEmpty { return [] }
        let keyList = SQLValue.text("[" + keys.map(String.init).joined(separator: ",") + "]")
        let inKeys = "IN (SELECT value FROM json_each(?))"
        // Runs grow in place in an array (a dictionary of runs would move a whole Run in and
        // out for every appended item); `position` finds a run's slot by its key.
        var runs: [Run] = []
        var position: [Int64: Int] = [:]
        runs.reserveCapacity(keys.count)
        try db.query(
            "SELECT run_key, run_id, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage FROM runs WHERE run_key \(inKeys)",
            [keyList]
        ) { row in
            let info = RunInfo(
                runID: row.text(1), experimentID: String(row.int64(2)), runName: row.text(3), userID: row.text(4),
                status: RunStatus(rawValue: Int(row.int64(5))) ?? .running, startTime: row.int64(6),
                endTime: row.optionalInt64(7), artifactURI: row.text(8),
                lifecycleStage: LifecycleStage(rawValue: row.text(9)) ?? .active)
            position[row.int64(0)] = runs.count
            runs.append(Run(info: info, metrics: [], params: [], tags: [], datasetInputs: []))
        }
        try db.query("SELECT run_key, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_key \(inKeys) ORDER BY run_key, key", [keyList]) { row in
            guard let index = position[row.int64(0)] else { return }
            runs[index].metrics.append(
                Metric(key: row.text(1), value: row.int64(3) != 0 ? .nan : row.double(2), timestamp: row.int64(4), step: row.int64(5)))
        }
        try db.query("SELECT run_key, key, value FROM params WHERE run_key \(inKeys) ORDER BY run_key, key", [keyList]) { row in
            guard let index = position[row.int64(0)] else { return }
            runs[index].params.append(Param(key: row.text(1), value: row.text(2)))
        }
        try db.query("SELECT run_key, key, value FROM tags WHERE run_key \(inKeys) ORDER BY run_key, key", [keyList]) { row in
            guard let index = position[row.int64(0)] else { return }
            runs[index].tags.append(RunTag(key: row.text(1), value: row.text(2)))
        }
        var inputIndex: [Int64: [Int64: Int]] = [:]  // run_key -> dataset_key -> index in datasetInputs
        try db.query(
            """
            SELECT i.run_key, d.dataset_key, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
            FROM run_inputs i JOIN datasets d ON d.dataset_key = i.dataset_key
            WHERE i.run_key \(inKeys) ORDER BY i.run_key, i.position
            """, [keyList]
        ) { row in
            let runKey = row.int64(0)
            guard let index = position[runKey] else { return }
            let dataset = Dataset(
                name: row.text(2), digest: row.text(3), sourceType: row.text(4), source: row.text(5),
                schema: row.optionalText(6), profile: row.optionalText(7))
            inputIndex[runKey, default: [:]][row.int64(1)] = runs[index].datasetInputs.count
            runs[index].datasetInputs.append(DatasetInput(tags: [], dataset: dataset))
        }
        if !inputIndex.isEmpty {
            try db.query("SELECT run_key, dataset_key, key, value FROM run_input_tags WHERE run_key \(inKeys) ORDER BY run_key, dataset_key, key", [keyList]) { row in
                let runKey = row.int64(0)
                if let index = position[runKey], let input = inputIndex[runKey]?[row.int64(1)] {
                    runs[index].datasetInputs[input].tags.append(KeyValue(key: row.text(2), value: row.text(3)))
                }
            }
        }
        try db.query("SELECT run_key, model_id FROM run_model_inputs WHERE run_key \(inKeys) ORDER BY run_key, model_id", [keyList]) { row in
            guard let index = position[row.int64(0)] else { return }
            runs[index].modelInputs.append(row.text(1))
        }
        try db.query("SELECT run_key, model_id, step FROM run_model_outputs WHERE run_key \(inKeys) ORDER BY run_key, model_id", [keyList]) { row in
            guard let index = position[row.int64(0)] else { return }
            runs[index].modelOutputs.append(ModelOutput(modelID: row.text(1), step: row.int64(2)))
        }
        return keys.compactMap { position[$0].map { runs[$0] } }
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
