import MLflowCore

/// MLflow's JSON shapes for the domain values (contract §4): unset fields omitted, empty lists
/// omitted, `run_id` and `run_uuid` both sent.
extension JSONWriter {
    mutating func write(_ experiment: Experiment) {
        object { w in
            w.field("experiment_id", experiment.experimentID)
            w.field("name", experiment.name)
            w.field("artifact_location", experiment.artifactLocation)
            w.field("lifecycle_stage", experiment.lifecycleStage.rawValue)
            w.field("last_update_time", experiment.lastUpdateTime)
            w.field("creation_time", experiment.creationTime)
            w.list("tags", experiment.tags) { $0.write($1) }
        }
    }

    mutating func write(_ pair: KeyValue) {
        object { w in
            w.field("key", pair.key)
            w.field("value", pair.value)
        }
    }

    /// A metric point; with `runID`, MLflow's `MetricWithRunId`.
    mutating func write(_ metric: Metric, runID: String? = nil) {
        object { w in
            w.field("key", metric.key)
            w.key("value")
            w.double(metric.value)
            w.field("timestamp", metric.timestamp)
            w.field("step", metric.step)
            if let runID { w.field("run_id", runID) }
        }
    }

    mutating func write(_ info: RunInfo) {
        object { w in
            w.field("run_uuid", info.runID)
            w.field("run_id", info.runID)
            w.field("experiment_id", info.experimentID)
            w.field("run_name", info.runName)
            w.field("user_id", info.userID)
            w.field("status", info.status.name)
            w.field("start_time", info.startTime)
            if let endTime = info.endTime { w.field("end_time", endTime) }
            w.field("artifact_uri", info.artifactURI)
            w.field("lifecycle_stage", info.lifecycleStage.rawValue)
        }
    }

    mutating func write(_ run: Run) {
        object { w in
            w.key("info")
            w.write(run.info)
            w.key("data")
            w.object { data in
                data.list("metrics", run.metrics) { $0.write($1) }
                data.list("params", run.params) { $0.write($1) }
                data.list("tags", run.tags) { $0.write($1) }
            }
            w.key("inputs")
            w.object { inputs in
                inputs.list("dataset_inputs", run.datasetInputs) { $0.write($1) }
                inputs.list("model_inputs", run.modelInputs) { writer, id in writer.object { $0.field("model_id", id) } }
            }
            w.key("outputs")
            w.object { outputs in
                outputs.list("model_outputs", run.modelOutputs) { writer, output in
                    writer.object { o in
                        o.field("model_id", output.modelID)
                        o.field("step", output.step)
                    }
                }
            }
        }
    }

    mutating func write(_ input: DatasetInput) {
        object { w in
            w.list("tags", input.tags) { $0.write($1) }
            w.key("dataset")
            w.object { d in
                d.field("name", input.dataset.name)
                d.field("digest", input.dataset.digest)
                d.field("source_type", input.dataset.sourceType)
                d.field("source", input.dataset.source)
                if let schema = input.dataset.schema { d.field("schema", schema) }
                if let profile = input.dataset.profile { d.field("profile", profile) }
            }
        }
    }

    /// `{"info": {...}, "data": {"params": [...]}}` (contract §12).
    mutating func write(_ model: LoggedModel) {
        object { w in
            w.key("info")
            w.object { i in
                i.field("model_id", model.modelID)
                i.field("experiment_id", model.experimentID)
                i.field("name", model.name)
                i.field("creation_timestamp_ms", model.creationTime)
                i.field("last_updated_timestamp_ms", model.lastUpdatedTime)
                i.field("artifact_uri", model.artifactLocation)
                i.field("status", model.status.name)
                if let modelType = model.modelType { i.field("model_type", modelType) }
                if let sourceRunID = model.sourceRunID { i.field("source_run_id", sourceRunID) }
                if let message = model.statusMessage { i.field("status_message", message) }
                i.list("tags", model.tags) { $0.write($1) }
            }
            w.key("data")
            w.object { d in d.list("params", model.params) { $0.write($1) } }
        }
    }

    /// `{"error_code": ..., "message": ...}`.
    static func errorBody(_ error: MLflowError) -> [UInt8] {
        var writer = JSONWriter()
        writer.object { w in
            w.field("error_code", error.code.rawValue)
            w.field("message", error.message)
        }
        return writer.bytes
    }

    /// A one-object response built by `body`.
    static func response(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        writer.object(body)
        return writer.bytes
    }
}
