import MLflowCore

extension SQLiteStore {
    public func createExperiment(name: String, artifactLocation: String?, tags: [ExperimentTag]) throws -> String {
        let name = try Validation.experimentName(name)
        if let artifactLocation {
            try Validation.maxLength(artifactLocation, Limits.maxArtifactLocationLength, what: "'artifact_location'")
        }
        for tag in tags { try Validation.experimentTag(tag) }
        return try write {
            if try db.first("SELECT 1 FROM experiments WHERE name = ?", [.text(name)], { _ in true }) != nil {
                throw MLflowError(.resourceAlreadyExists, "Experiment '\(name)' already exists.")
            }
            let now = clock()
            try db.run(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, '', 'active', ?, ?)",
                [.text(name), .integer(now), .integer(now)])
            let key = db.lastInsertRowID
            let id = String(key)
            let location = artifactLocation.flatMap { $0.isEmpty ? nil : $0 } ?? ArtifactLocation.forExperiment(id)
            try db.run("UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?", [.text(location), .integer(key)])
            for tag in tags {
                try upsertExperimentTag(experimentKey: key, tag: tag)
            }
            return id
        }
    }

    public func experiment(id: String) throws -> Experiment {
        let key = try Validation.experimentID(id)
        return try read {
            guard let experiment = try loadExperiment(where: "experiment_id = ?", .integer(key)) else {
                throw MLflowError.experimentNotFound(id)
            }
            return experiment
        }
    }

    public func experiment(named name: String) throws -> Experiment {
        try read {
            guard let experiment = try loadExperiment(where: "name = ?", .text(name)) else {
                throw MLflowError(.resourceDoesNotExist, "Could not find experiment with name '\(name)'")
            }
            return experiment
        }
    }

    public func renameExperiment(id: String, newName: String) throws {
        let key = try Validation.experimentID(id)
        let newName = try Validation.experimentName(newName, field: "new_name")
        try write {
            let stage = try lifecycleStage(ofExperiment: key, id: id)
            if stage != .active {
                // MLflow answers 500 INVALID_STATE here, which makes clients retry for minutes;
                // this is a client mistake, so it is a 400.
                throw MLflowError(.invalidParameterValue, "Cannot rename a non-active experiment.")
            }
            if let other = try db.first("SELECT experiment_id FROM experiments WHERE name = ?", [.text(newName)], { $0.int64(0) }),
                other != key
            {
                throw MLflowError(.badRequest, "Experiment '\(newName)' already exists.")
            }
            try db.run(
                "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                [.text(newName), .integer(clock()), .integer(key)])
        }
    }

    public func deleteExperiment(id: String) throws {
        try setExperimentStage(id: id, from: .active, to: .deleted)
    }

    public func restoreExperiment(id: String) throws {
        try setExperimentStage(id: id, from: .deleted, to: .active)
    }

    public func setExperimentTag(id: String, tag: ExperimentTag) throws {
        let key = try Validation.experimentID(id)
        try Validation.experimentTag(tag)
        try write {
            try requireActiveExperiment(key, id: id)
            try upsertExperimentTag(experimentKey: key, tag: tag)
        }
    }

    public func deleteExperimentTag(id: String, key tagKey: String) throws {
        let key = try Validation.experimentID(id)
        if tagKey.isEmpty { throw MLflowError.missingParameter("key") }
        try write {
            try requireActiveExperiment(key, id: id)
            let deleted = try db.run("DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?", [.integer(key), .text(tagKey)])
            if deleted == 0 {
                throw MLflowError(.resourceDoesNotExist, "No tag with name: \(tagKey) in experiment with id \(id)")
            }
        }
    }

    // MARK: - Helpers shared with runs

    func lifecycleStage(ofExperiment key: Int64, id: String) throws -> LifecycleStage {
        guard let stage = try db.first("SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", [.integer(key)], { $0.text(0) })
        else { throw MLflowError.experimentNotFound(id) }
        return LifecycleStage(rawValue: stage) ?? .active
    }

    func requireActiveExperiment(_ key: Int64, id: String) throws {
        if try lifecycleStage(ofExperiment: key, id: id) != .active {
            throw MLflowError(
                .invalidParameterValue,
                "The experiment \(id) must be in the 'active' state. Current state is deleted.")
        }
    }

    private func upsertExperimentTag(experimentKey: Int64, tag: ExperimentTag) throws {
        try db.run(
            "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
            [.integer(experimentKey), .text(tag.key), .text(tag.value)])
    }

    /// Deleting an experiment deletes its active runs; restoring it restores all its runs.
    private func setExperimentStage(id: String, from: LifecycleStage, to: LifecycleStage) throws {
        let key = try Validation.experimentID(id)
        try write {
            if try lifecycleStage(ofExperiment: key, id: id) != from {
                throw MLflowError(.resourceDoesNotExist, "Cannot \(to == .deleted ? "delete" : "restore") experiment \(id): it is not \(from.rawValue).")
            }
            try db.run(
                "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?",
                [.text(to.rawValue), .integer(clock()), .integer(key)])
            try db.run(
                "UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ? AND lifecycle_stage = ?",
                [.text(to.rawValue), .integer(key), .text(from.rawValue)])
        }
    }

    func loadExperiment(where condition: String, _ binding: SQLValue) throws -> Experiment? {
        guard
            var experiment = try db.first(
                "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments WHERE \(condition)",
                [binding],
                { row in
                    Experiment(
                        experimentID: String(row.int64(0)), name: row.text(1), artifactLocation: row.text(2),
                        lifecycleStage: LifecycleStage(rawValue: row.text(3)) ?? .active,
                        creationTime: row.int64(4), lastUpdateTime: row.int64(5), tags: [])
                })
        else { return nil }
        let key = SQLValue.integer(Int64(experiment.experimentID) ?? -1)
        try db.query("SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key", [key]) { row in
            experiment.tags.append(ExperimentTag(key: row.text(0), value: row.text(1)))
        }
        return experiment
    }
}
