import Foundation
import Testing
import TrackingAPI

/// The exact request sequences the Python client sends (contract §15), replayed in-process.
struct ClientFlowTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    @Test func typicalScriptOf318Client() throws {
        let missing = fixture.get("experiments/get-by-name", "experiment_name=typical-exp")
        expectError(missing, status: 404, code: "RESOURCE_DOES_NOT_EXIST")

        let created = fixture.post("experiments/create", #"{"name": "typical-exp"}"#)
        #expect(created.status == 200)
        let experimentID = try #require(try created.json()["experiment_id"] as? String)
        #expect(fixture.get("experiments/get", "experiment_id=\(experimentID)").status == 200)

        let runBody = #"""
            {"experiment_id": "\#(experimentID)", "user_id": "root", "start_time": 1795912075931, "tags": [{"key": "mlflow.user", "value": "root"},
             {"key": "mlflow.source.name", "value": "typical.py"}, {"key": "mlflow.source.type", "value": "LOCAL"}]}
            """#
        let run = try fixture.post("runs/create", runBody).json().object("run")
        let r = try #require(try run.object("info")["run_id"] as? String)

        #expect(try fixture.post("runs/log-parameter", #"{"run_uuid": "\#(r)", "key": "lr", "value": "0.01", "run_id": "\#(r)"}"#).json().isEmpty)
        for step in 0..<3 {
            let body = #"{"run_uuid": "\#(r)", "key": "loss", "value": \#(1.0 / Double(step + 1)), "timestamp": \#(1_795_912_076_000 + step), "step": \#(step), "run_id": "\#(r)"}"#
            #expect(fixture.post("runs/log-metric", body).status == 200)
        }
        #expect(fixture.post("runs/set-tag", #"{"run_uuid": "\#(r)", "key": "team", "value": "a", "run_id": "\#(r)"}"#).status == 200)

        let fetched = try fixture.get("runs/get", "run_uuid=\(r)&run_id=\(r)").json().object("run")
        #expect(try fetched.object("info")["artifact_uri"] as? String == "mlflow-artifacts:/\(experimentID)/\(r)/artifacts")
        #expect(fixture.send(APIRequest(method: "GET", path: "/api/3.0/mlflow/server-info")).status == 200)

        let updated = fixture.post("runs/update", #"{"run_uuid": "\#(r)", "status": "FINISHED", "end_time": 1795912080000, "run_id": "\#(r)"}"#)
        let info = try updated.json().object("run_info")
        #expect(info["status"] as? String == "FINISHED")
        #expect(jsonInteger(info["end_time"]) == 1_795_912_080_000)

        let data = try fixture.getRun(r).object("data")
        #expect(data.pairValue("params", "lr") as? String == "0.01")
        #expect(data.pairValue("tags", "team") as? String == "a")
        #expect(data.pairValue("tags", "mlflow.source.name") as? String == "typical.py")
        let loss = try #require(try data.objects("metrics").first { $0["key"] as? String == "loss" })
        #expect(jsonInteger(loss["step"]) == 2)
        #expect(jsonDouble(loss["value"]) == 1.0 / 3.0)
        #expect(try fixture.get("metrics/get-history", "run_uuid=\(r)&run_id=\(r)&metric_key=loss&max_results=25000").json().objects("metrics").count == 3)
    }

    @Test func logMetricWith3xExtrasIsAccepted() throws {
        let r = try fixture.createRun()
        let body = #"{"run_uuid": "\#(r)", "run_id": "\#(r)", "key": "acc", "value": 0.9, "timestamp": 1, "step": 0, "model_id": "m-0123", "dataset_name": "ds", "dataset_digest": "abc"}"#
        #expect(fixture.post("runs/log-metric", body).status == 200)
    }

    @Test func logMetricsBatchWithPerItemRunIDIsAccepted() throws {
        let r = try fixture.createRun()
        let body = #"{"run_id": "\#(r)", "metrics": [{"key": "a", "value": 1.0, "timestamp": 1, "step": 0, "run_id": "\#(r)"}, {"key": "b", "value": 2.0, "timestamp": 1, "step": 0}]}"#
        #expect(fixture.post("runs/log-batch", body).status == 200)
        #expect(try fixture.getRun(r).object("data").objects("metrics").count == 2)
    }

    @Test func resumingARunKeepsItsEndTime() throws {
        let r = try fixture.createRun()
        _ = fixture.post("runs/update", #"{"run_id": "\#(r)", "status": "FINISHED", "end_time": 1234}"#)
        let info = try fixture.post("runs/update", #"{"run_uuid": "\#(r)", "run_id": "\#(r)", "status": "RUNNING", "end_time": 1234}"#).json().object("run_info")
        #expect(info["status"] as? String == "RUNNING")
        #expect(jsonInteger(info["end_time"]) == 1234)
    }

    @Test func logInputsAsTheClientSendsIt() throws {
        let r = try fixture.createRun()
        let body = #"""
            {"run_id": "\#(r)", "datasets": [{"tags": [{"key": "mlflow.data.context", "value": "training"}],
             "dataset": {"name": "iris", "digest": "2b5f6d5c", "source_type": "local", "source": "{\"uri\": \"/tmp/iris.csv\"}", "profile": "{\"num_rows\": 150}"}}]}
            """#
        #expect(fixture.post("runs/log-inputs", body).status == 200)
        #expect(fixture.post("runs/log-inputs", body).status == 200)
        let inputs = try fixture.getRun(r).object("inputs").objects("dataset_inputs")
        #expect(inputs.count == 1)
    }
}
