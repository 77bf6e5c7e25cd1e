import MLflowCore

extension SQLiteStore {
    public func logBatch(runID: String, metrics: [Metric], params: [Param], tags: [RunTag]) throws {
        try Validation.batchSize(metrics: metrics.count, params: params.count, tags: tags.count)
        let params = try params.map(Validation.param)
        try Validation.uniqueParamKeys(params)
        let metrics = try metrics.map(Validation.metric)
        let tags = try tags.map(Validation.runTag)
        try write {
            let run = try activeRun(runID)
            let conflicts = try insertParams(runKey: run.key, params)
            if !conflicts.isEmpty {
                let listed = conflicts.map { "{'key': '\($0.key)', 'old_value': '\($0.old)', 'new_value': '\($0.new)'}" }
                throw MLflowError(
                    .invalidParameterValue,
                    "Changing param values is not allowed. Params were already logged='[\(listed.joined(separator: ", "))]' for run ID='\(runID)'.")
            }
            try insertMetrics(runKey: run.key, metrics)
            for tag in tags { try upsertTag(runKey: run.key, tag) }
        }
    }

    public func logParam(runID: String, param: Param) throws {
        let param = try Validation.param(param)
        try write {
            let run = try activeRun(runID)
            if let conflict = try insertParams(runKey: run.key, [param]).first {
                throw MLflowError(
                    .invalidParameterValue,
                    "Changing param values is not allowed. Param with key='\(conflict.key)' was already logged with value='\(conflict.old)' for run ID='\(runID)'. Attempted logging new value '\(conflict.new)'.")
            }
        }
    }

    public func deleteTag(runID: String, key: String) throws {
        if key.isEmpty { throw MLflowError.missingParameter("key") }
        try write {
            let run = try activeRun(runID)
            if try db.run("DELETE FROM tags WHERE run_key = ? AND key = ?", [.integer(run.key), .text(key)]) == 0 {
                throw MLflowError(.resourceDoesNotExist, "No tag with name: \(key) in run with id \(runID)")
            }
        }
    }

    public func logInputs(runID: String, datasets: [DatasetInput], models: [String] = []) throws {
        for input in datasets { try Self.validate(input) }
        try write {
            let run = try activeRun(runID)
            for model in models {
                try db.run("INSERT OR IGNORE INTO run_model_inputs (run_key, model_id) VALUES (?, ?)", [.integer(run.key), .text(model)])
            }
            for input in datasets {
                let datasetKey = try datasetKey(experimentKey: run.experimentID, input.dataset)
                try db.run(
                    """
                    INSERT OR IGNORE INTO run_inputs (run_key, dataset_key, position)
                    VALUES (?, ?, (SELECT COUNT(*) FROM run_inputs WHERE run_key = ?))
                    """, [.integer(run.key), .integer(datasetKey), .integer(run.key)])
                for tag in input.tags {
                    try db.run(
                        "INSERT INTO run_input_tags (run_key, dataset_key, key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
                        [.integer(run.key), .integer(datasetKey), .text(tag.key), .text(tag.value)])
                }
            }
        }
    }

    /// Appends `modelJSON` (a JSON object, checked by the caller) to the run's
    /// `mlflow.log-model.history` tag, a JSON list, as the 2.x client's `runs/log-model` asks.
    public func appendLoggedModelHistory(runID: String, modelJSON: String) throws {
        let key = "mlflow.log-model.history"
        try write {
            let run = try activeRun(runID)
            let current = try db.first("SELECT value FROM tags WHERE run_key = ? AND key = ?", [.integer(run.key), .text(key)]) { $0.text(0) }
            var value = "[" + modelJSON + "]"
            if let current, current.hasSuffix("]"), current.hasPrefix("[") {
                let inner = current.dropFirst().dropLast()
                value = inner.allSatisfy(\.isWhitespace) ? value : "[" + inner + ", " + modelJSON + "]"
            }
            try upsertTag(runKey: run.key, RunTag(key: key, value: value))
        }
    }

    // MARK: - Helpers

    /// Inserts new params; answers the keys already logged with a different value.
    private func insertParams(runKey: Int64, _ params: [Param]) throws -> [(key: String, old: String, new: String)] {
        var conflicts: [(key: String, old: String, new: String)] = []
        for param in params {
            let inserted = try db.run(
                "INSERT INTO params (run_key, key, value) VALUES (?, ?, ?) ON CONFLICT (run_key, key) DO NOTHING",
                [.integer(runKey), .text(param.key), .text(param.value)])
            if inserted == 0,
                let old = try db.first("SELECT value FROM params WHERE run_key = ? AND key = ?", [.integer(runKey), .text(param.key)], { $0.text(0) }),
                old != param.value
            {
                conflicts.append((param.key, old, param.value))
            }
        }
        return conflicts
    }

    /// Appends points to the history (an identical point is a no-op) and moves each key's
    /// latest value forward when the batch's highest-ranking point for that key ranks higher
    /// by (step, timestamp, value): one history row per point, one upsert per key.
    private func insertMetrics(runKey: Int64, _ metrics: [Metric]) throws {
        var latest: [String: Metric] = [:]
        for metric in metrics {
            try db.run("INSERT OR IGNORE INTO metrics (run_key, key, timestamp, step, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)", Self.bindings(runKey, metric))
            if let current = latest[metric.key], !MetricValue.isNewer(metric, than: current) { continue }
            latest[metric.key] = metric
        }
        for metric in latest.values {
            try db.run(
                """
                INSERT INTO latest_metrics (run_key, key, timestamp, step, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_key, key) DO UPDATE SET
                    step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
                WHERE (excluded.step, excluded.timestamp, excluded.value) > (step, timestamp, value)
                """, Self.bindings(runKey, metric))
        }
    }

    /// A metric row's values; NaN is stored as 0 with the `is_nan` flag.
    private static func bindings(_ runKey: Int64, _ metric: Metric) -> [SQLValue] {
        let isNaN = metric.value.isNaN
        return [
            .integer(runKey), .text(metric.key), .integer(metric.timestamp), .integer(metric.step),
            .real(isNaN ? 0 : metric.value), .integer(isNaN ? 1 : 0),
        ]
    }

    private func datasetKey(experimentKey: Int64, _ dataset: Dataset) throws -> Int64 {
        let identity: [SQLValue] = [.integer(experimentKey), .text(dataset.name), .text(dataset.digest)]
        if let key = try db.first("SELECT dataset_key FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?", identity, { $0.int64(0) }) {
            return key
        }
        try db.run(
            "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)",
            identity + [
                .text(dataset.sourceType), .text(dataset.source),
                dataset.schema.map(SQLValue.text) ?? .null, dataset.profile.map(SQLValue.text) ?? .null,
            ])
        return db.lastInsertRowID
    }

    private static func validate(_ input: DatasetInput) throws {
        let dataset = input.dataset
        if dataset.name.isEmpty { throw MLflowError.missingParameter("dataset.name") }
        if dataset.digest.isEmpty { throw MLflowError.missingParameter("dataset.digest") }
        try Validation.maxLength(dataset.name, Limits.maxDatasetNameLength, what: "'dataset.name'")
        try Validation.maxLength(dataset.digest, Limits.maxDatasetDigestLength, what: "'dataset.digest'")
        try Validation.maxLength(dataset.source, Limits.maxDatasetSourceLength, what: "'dataset.source'")
        try Validation.maxLength(dataset.schema ?? "", Limits.maxDatasetSchemaLength, what: "'dataset.schema'")
        try Validation.maxLength(dataset.profile ?? "", Limits.maxDatasetProfileLength, what: "'dataset.profile'")
        for tag in input.tags {
            if tag.key.isEmpty { throw MLflowError.missingParameter("tags.key") }
            try Validation.maxLength(tag.key, Limits.maxInputTagKeyLength, what: "'input tag key'")
            try Validation.maxLength(tag.value, Limits.maxInputTagValueLength, what: "'input tag value'")
        }
    }

    public func metricHistory(_ request: MetricHistoryRequest, each: (Metric) throws -> Void) throws -> String? {
        try read {
            guard let run = try runRecord(request.runID) else { return nil }
            // One row beyond the page tells whether another page exists.
            let limit = request.maxResults.map { Int64(min($0, Int.max - 1)) + 1 } ?? -1
            var count = 0
            var hasMore = false
            try db.query(
                "SELECT timestamp, step, value, is_nan FROM metrics WHERE run_key = ? AND key = ? ORDER BY timestamp, step, value LIMIT ? OFFSET ?",
                [.integer(run.key), .text(request.key), .integer(limit), .integer(Int64(request.offset))]
            ) { row in
                if let maxResults = request.maxResults, count == maxResults {
                    hasMore = true
                    return
                }
                count += 1
                try each(Metric(key: request.key, value: row.int64(3) != 0 ? .nan : row.double(2), timestamp: row.int64(0), step: row.int64(1)))
            }
            guard hasMore, let maxResults = request.maxResults else { return nil }
            return PageToken.encode(offset: request.offset + maxResults)
        }
    }
}

extension SQLiteStore {
    /// `metrics/get-history-bulk-interval` (the UI's charts): for each run, at most
    /// `maxResults` of the metric's distinct steps within the range — spread evenly, always
    /// keeping the first and the last — and every point at those steps, ordered by run id,
    /// step and timestamp. Unknown runs contribute nothing.
    public func sampledMetricHistory(runIDs: [String], key: String, steps range: ClosedRange<Int64>?, maxResults: Int) throws -> [(runID: String, metric: Metric)] {
        if runIDs.isEmpty || runIDs.count > 100 {
            throw MLflowError(.invalidParameterValue, "GetMetricHistoryBulkInterval request must specify between 1 and 100 run_ids.")
        }
        if maxResults < 1 || maxResults > 2500 {
            throw MLflowError(.invalidParameterValue, "max_results must be between 1 and 2500.")
        }
        return try read {
            var result: [(String, Metric)] = []
            for runID in Set(runIDs).sorted() {
                guard let run = try runRecord(runID) else { continue }
                var points: [Metric] = []
                try db.query(
                    "SELECT timestamp, step, value, is_nan FROM metrics WHERE run_key = ? AND key = ? AND step BETWEEN ? AND ? ORDER BY step, timestamp",
                    [.integer(run.key), .text(key), .integer(range?.lowerBound ?? .min), .integer(range?.upperBound ?? .max)]
                ) { row in
                    points.append(Metric(key: key, value: row.int64(3) != 0 ? .nan : row.double(2), timestamp: row.int64(0), step: row.int64(1)))
                }
                let kept = Set(Self.evenlySpaced(Array(Set(points.map(\.step))).sorted(), count: maxResults))
                result += points.filter { kept.contains($0.step) }.map { (runID, $0) }
            }
            return result
        }
    }

    /// At most `count` elements spread evenly over `sorted`, first and last included.
    static func evenlySpaced(_ sorted: [Int64], count: Int) -> [Int64] {
        guard sorted.count > count else { return sorted }
        if count == 1 { return [sorted[0]] }
        return (0..<count).map { index in sorted[Int((Double(index) * Double(sorted.count - 1) / Double(count - 1)).rounded())] }
    }
}
