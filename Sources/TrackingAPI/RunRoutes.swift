import MLflowCore
import TrackingStore

extension TrackingAPI {
    /// Run RPCs (contract §8), except search.
    func registerRunRoutes(_ router: inout Router) {
        let store = self.store
        router.rpc("POST", "runs/create") { fields in
            let run = try store.createRun(
                NewRun(
                    experimentID: try fields.requiredString("experiment_id"),
                    userID: try fields.string("user_id") ?? "",
                    runName: try fields.string("run_name"),
                    startTime: try fields.int64("start_time") ?? 0,
                    tags: try fields.keyValues("tags")))
            return Self.runResponse(run)
        }
        router.rpc("GET", "runs/get") { fields in
            Self.runResponse(try store.run(id: try fields.runID()))
        }
        router.rpc("POST", "runs/update") { fields in
            let info = try store.updateRun(
                id: try fields.runID(),
                status: try fields.enumName("status").flatMap(RunStatus.init(name:)),
                endTime: try fields.int64("end_time"),
                runName: try fields.string("run_name"))
            return JSONWriter.response { w in
                w.key("run_info")
                w.write(info)
            }
        }
        router.rpc("POST", "runs/delete") { fields in
            try store.deleteRun(id: try fields.runID(allowingUUID: false))
            return Self.empty
        }
        router.rpc("POST", "runs/restore") { fields in
            try store.restoreRun(id: try fields.runID(allowingUUID: false))
            return Self.empty
        }
        router.rpc("POST", "runs/log-metric") { fields in
            try store.logBatch(runID: try fields.runID(), metrics: [try Self.metric(fields)], params: [], tags: [])
            return Self.empty
        }
        router.rpc("POST", "runs/log-parameter") { fields in
            let param = Param(key: try fields.requiredString("key"), value: try fields.string("value") ?? "")
            try store.logParam(runID: try fields.runID(), param: param)
            return Self.empty
        }
        router.rpc("POST", "runs/set-tag") { fields in
            let tag = RunTag(key: try fields.requiredString("key"), value: try fields.string("value") ?? "")
            try store.logBatch(runID: try fields.runID(), metrics: [], params: [], tags: [tag])
            return Self.empty
        }
        router.rpc("POST", "runs/delete-tag") { fields in
            try store.deleteTag(runID: try fields.runID(allowingUUID: false), key: try fields.requiredString("key"))
            return Self.empty
        }
        router.rpc("POST", "runs/log-batch") { fields in
            try store.logBatch(
                runID: try fields.runID(allowingUUID: false),
                metrics: try fields.messages("metrics").map(Self.metric),
                params: try fields.keyValues("params"),
                tags: try fields.keyValues("tags"))
            return Self.empty
        }
        router.rpc("POST", "runs/log-inputs") { fields in
            let datasets = try fields.messages("datasets").map { input in
                guard let dataset = try input.message("dataset") else { throw MLflowError.missingParameter("datasets.dataset") }
                return DatasetInput(
                    tags: try input.keyValues("tags"),
                    dataset: Dataset(
                        name: try dataset.requiredString("name"),
                        digest: try dataset.requiredString("digest"),
                        sourceType: try dataset.requiredString("source_type"),
                        source: try dataset.requiredString("source"),
                        schema: try dataset.string("schema"),
                        profile: try dataset.string("profile")))
            }
            let models = try fields.messages("models").map { try $0.requiredString("model_id") }
            try store.logInputs(runID: try fields.runID(allowingUUID: false), datasets: datasets, models: models)
            return Self.empty
        }
        router.rpc("POST", "runs/outputs") { fields in
            let models = try fields.messages("models").map { ModelOutput(modelID: try $0.requiredString("model_id"), step: try $0.int64("step") ?? 0) }
            try store.logOutputs(runID: try fields.runID(allowingUUID: false), models: models)
            return Self.empty
        }
        router.rpc("POST", "runs/log-model") { fields in
            let modelJSON = try fields.requiredString("model_json")
            guard case .object(let model)? = try? JSONParser.parse(Array(modelJSON.utf8)) else {
                throw MLflowError(.invalidParameterValue, "Malformed model info. \(modelJSON.prefix(200)) is not a valid JSON object.")
            }
            let missing = ["artifact_path", "flavors", "utc_time_created", "run_id"].filter { model[$0] == nil }
            if !missing.isEmpty {
                throw MLflowError(.invalidParameterValue, "Model json is missing mandatory fields: \(missing)")
            }
            try store.appendLoggedModelHistory(runID: try fields.runID(allowingUUID: false), modelJSON: modelJSON)
            return Self.empty
        }
    }

    /// A metric point from `{key, value, timestamp, step}`; step defaults to 0.
    static func metric(_ fields: RequestFields) throws -> Metric {
        Metric(
            key: try fields.requiredString("key"),
            value: try fields.requiredDouble("value"),
            timestamp: try fields.requiredInt64("timestamp"),
            step: try fields.int64("step") ?? 0)
    }

    private static func runResponse(_ run: Run) -> [UInt8] {
        JSONWriter.response { w in
            w.key("run")
            w.write(run)
        }
    }
}
