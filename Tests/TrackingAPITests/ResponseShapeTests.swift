import Foundation
import Testing
import TrackingAPI

/// MLflow's JSON shapes as clients parse them (contract §1.3, §4).
struct ResponseShapeTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    @Test func rpcResponsesAreJSON() {
        let response = fixture.get("experiments/get", "experiment_id=0")
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
    }

    @Test func experimentShape() throws {
        let experiment = try fixture.get("experiments/get", "experiment_id=0").json().object("experiment")
        #expect(experiment["experiment_id"] as? String == "0")
        #expect(experiment["name"] as? String == "Default")
        #expect(experiment["artifact_location"] as? String == "mlflow-artifacts:/0")
        #expect(experiment["lifecycle_stage"] as? String == "active")
        #expect(jsonInteger(experiment["creation_time"]) != nil, "\(experiment)")
        #expect(jsonInteger(experiment["last_update_time"]) != nil, "\(experiment)")
        #expect(experiment["tags"] == nil, "empty tags are omitted")
    }

    @Test func int64FieldsAreJSONNumbersInTheText() throws {
        let run = fixture.post("runs/create", #"{"experiment_id": "0", "start_time": 1700000000123}"#)
        #expect(run.text.contains(#""start_time":1700000000123"#) || run.text.contains(#""start_time": 1700000000123"#), "\(run.text)")
    }

    @Test func experimentTagsAreKeyValueObjects() throws {
        _ = fixture.post("experiments/create", #"{"name": "t", "tags": [{"key": "team", "value": "a"}]}"#)
        let experiment = try fixture.get("experiments/get-by-name", "experiment_name=t").json().object("experiment")
        let tags = try experiment.objects("tags")
        #expect(tags.count == 1)
        #expect(tags.first?["key"] as? String == "team")
        #expect(tags.first?["value"] as? String == "a")
    }

    @Test func createExperimentAnswersTheIDAsAString() throws {
        let response = try fixture.post("experiments/create", json: ["name": "new"]).json()
        #expect(response["experiment_id"] as? String == "1")
        #expect(response.count == 1)
    }

    @Test func createdRunShape() throws {
        let response = fixture.post("runs/create", #"{"experiment_id": "0"}"#)
        let run = try response.json().object("run")
        let info = try run.object("info")
        let runID = try #require(info["run_id"] as? String)
        #expect(info["run_uuid"] as? String == runID)
        #expect(info["experiment_id"] as? String == "0")
        #expect(info["status"] as? String == "RUNNING")
        #expect(info["lifecycle_stage"] as? String == "active")
        #expect(info["user_id"] as? String == "", "a set field is sent even when empty")
        #expect(jsonInteger(info["start_time"]) == 0, "start_time 0 is sent")
        #expect(info["end_time"] == nil, "unset end_time is omitted")
        #expect(info["artifact_uri"] as? String == "mlflow-artifacts:/0/\(runID)/artifacts")
        let name = try #require(info["run_name"] as? String)
        let data = try run.object("data")
        #expect(data.pairValue("tags", "mlflow.runName") as? String == name)
        #expect(data["metrics"] == nil, "empty metrics are omitted")
        #expect(data["params"] == nil, "empty params are omitted")
        #expect(try run.object("inputs").isEmpty)
    }

    @Test func runWithDataShape() throws {
        let runID = try fixture.createRun()
        _ = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": 0.5, "timestamp": 1700000000000, "step": 5}"#)
        _ = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "nanm", "value": "NaN", "timestamp": 1700000000002}"#)
        _ = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "infm", "value": "Infinity", "timestamp": 1700000000002}"#)
        _ = fixture.post("runs/log-parameter", #"{"run_id": "\#(runID)", "key": "lr", "value": "0.1"}"#)
        let data = try fixture.getRun(runID).object("data")
        let metrics = try data.objects("metrics")
        let m = try #require(metrics.first { $0["key"] as? String == "m" })
        #expect(jsonDouble(m["value"]) == 0.5)
        #expect(jsonInteger(m["timestamp"]) == 1_700_000_000_000)
        #expect(jsonInteger(m["step"]) == 5)
        let nan = try #require(metrics.first { $0["key"] as? String == "nanm" })
        #expect(nan["value"] as? String == "NaN")
        #expect(jsonInteger(nan["step"]) == 0, "step 0 is sent")
        let inf = try #require(metrics.first { $0["key"] as? String == "infm" })
        #expect(jsonDouble(inf["value"]) == 1.7976931348623157e308)
        #expect(data.pairValue("params", "lr") as? String == "0.1")
    }

    @Test func fetchedRunHasInputsAndOutputsObjects() throws {
        let runID = try fixture.createRun()
        let run = try fixture.getRun(runID)
        #expect(try run.object("inputs").isEmpty)
        #expect(try run.object("outputs").isEmpty)
    }

    @Test func updateAnswersTheFullRunInfo() throws {
        let runID = try fixture.createRun(name: "upd")
        let response = fixture.post("runs/update", #"{"run_id": "\#(runID)", "status": "FINISHED", "end_time": 1700000005000}"#)
        let info = try response.json().object("run_info")
        #expect(info["run_id"] as? String == runID)
        #expect(info["run_uuid"] as? String == runID)
        #expect(info["status"] as? String == "FINISHED")
        #expect(jsonInteger(info["end_time"]) == 1_700_000_005_000)
        #expect(info["run_name"] as? String == "upd")
    }

    @Test(arguments: ["runs/log-parameter", "runs/set-tag", "runs/log-metric"])
    func writeRPCsAnswerAnEmptyObject(rpc: String) throws {
        let runID = try fixture.createRun()
        let response = fixture.post(rpc, #"{"run_id": "\#(runID)", "key": "k", "value": "1", "timestamp": 1}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().isEmpty)
    }

    @Test func datasetInputShape() throws {
        let runID = try fixture.createRun()
        let body = #"""
            {"run_id": "\#(runID)", "datasets": [{"tags": [{"key": "mlflow.data.context", "value": "training"}],
              "dataset": {"name": "ds", "digest": "d1", "source_type": "local", "source": "{}", "profile": "{\"rows\": 2}"}}]}
            """#
        #expect(fixture.post("runs/log-inputs", body).status == 200)
        let inputs = try fixture.getRun(runID).object("inputs").objects("dataset_inputs")
        #expect(inputs.count == 1)
        let dataset = try inputs[0].object("dataset")
        #expect(dataset["name"] as? String == "ds")
        #expect(dataset["digest"] as? String == "d1")
        #expect(dataset["source_type"] as? String == "local")
        #expect(dataset["profile"] as? String == #"{"rows": 2}"#)
        #expect(dataset["schema"] == nil)
        #expect(inputs[0].pairValue("tags", "mlflow.data.context") as? String == "training")
    }
}
