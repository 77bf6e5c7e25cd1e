import MLflowCore

extension TrackingAPI {
    /// Experiment RPCs (contract §7), except search.
    func registerExperimentRoutes(_ router: inout Router) {
        let store = self.store
        router.rpc("POST", "experiments/create") { fields in
            let id = try store.createExperiment(
                name: try fields.requiredString("name"),
                artifactLocation: try fields.string("artifact_location"),
                tags: try fields.keyValues("tags"))
            return JSONWriter.response { $0.field("experiment_id", id) }
        }
        router.rpc("GET", "experiments/get") { fields in
            Self.experimentResponse(try store.experiment(id: try fields.requiredString("experiment_id")))
        }
        router.rpc("GET", "experiments/get-by-name") { fields in
            Self.experimentResponse(try store.experiment(named: try fields.requiredString("experiment_name")))
        }
        router.rpc("POST", "experiments/update") { fields in
            try store.renameExperiment(id: try fields.requiredString("experiment_id"), newName: try fields.requiredString("new_name"))
            return Self.empty
        }
        router.rpc("POST", "experiments/delete") { fields in
            try store.deleteExperiment(id: try fields.requiredString("experiment_id"))
            return Self.empty
        }
        router.rpc("POST", "experiments/restore") { fields in
            try store.restoreExperiment(id: try fields.requiredString("experiment_id"))
            return Self.empty
        }
        router.rpc("POST", "experiments/set-experiment-tag") { fields in
            try store.setExperimentTag(
                id: try fields.requiredString("experiment_id"),
                tag: ExperimentTag(key: try fields.requiredString("key"), value: try fields.string("value") ?? ""))
            return Self.empty
        }
        router.rpc("POST", "experiments/delete-experiment-tag") { fields in
            try store.deleteExperimentTag(id: try fields.requiredString("experiment_id"), key: try fields.requiredString("key"))
            return Self.empty
        }
    }

    /// `{}`: the answer of RPCs with an empty response message.
    static let empty: [UInt8] = Array("{}".utf8)

    private static func experimentResponse(_ experiment: Experiment) -> [UInt8] {
        JSONWriter.response { w in
            w.key("experiment")
            w.write(experiment)
        }
    }
}
