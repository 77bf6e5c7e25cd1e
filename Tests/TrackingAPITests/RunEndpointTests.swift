import Foundation
import Testing
import TrackingAPI

/// The run RPCs end to end through the API (contract §6, §8).
struct RunEndpointTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    @Test func createWithNameAndTags() throws {
        let body = #"{"experiment_id": "0", "user_id": "alice", "run_name": "r", "start_time": 5, "tags": [{"key": "mlflow.user", "value": "alice"}]}"#
        let run = try fixture.post("runs/create", body).json().object("run")
        let info = try run.object("info")
        #expect(info["run_name"] as? String == "r")
        #expect(info["user_id"] as? String == "alice")
        let data = try run.object("data")
        #expect(data.pairValue("tags", "mlflow.runName") as? String == "r")
        #expect(data.pairValue("tags", "mlflow.user") as? String == "alice")
    }

    @Test func createWithConflictingNamesIsA400() {
        let body = #"{"experiment_id": "0", "run_name": "a", "tags": [{"key": "mlflow.runName", "value": "b"}]}"#
        expectError(fixture.post("runs/create", body), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Both 'run_name' argument and 'mlflow.runName' tag")
    }

    @Test func createInAnUnknownExperimentIs404() {
        expectError(fixture.post("runs/create", #"{"experiment_id": "42"}"#), status: 404, code: "RESOURCE_DOES_NOT_EXIST")
    }

    @Test func createInADeletedExperimentIs400() {
        _ = fixture.post("experiments/delete", #"{"experiment_id": "0"}"#)
        expectError(fixture.post("runs/create", #"{"experiment_id": "0"}"#), status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test func createWithoutExperimentIDIsA400() {
        expectError(fixture.post("runs/create", "{}"), status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test func updateRenamesRunAndTag() throws {
        let runID = try fixture.createRun(name: "before")
        _ = fixture.post("runs/update", #"{"run_id": "\#(runID)", "run_name": "after"}"#)
        let run = try fixture.getRun(runID)
        #expect(try run.object("info")["run_name"] as? String == "after")
        #expect(try run.object("data").pairValue("tags", "mlflow.runName") as? String == "after")
    }

    @Test func resumingWithRunningKeepsTheEndTime() throws {
        let runID = try fixture.createRun()
        _ = fixture.post("runs/update", #"{"run_id": "\#(runID)", "status": "FINISHED", "end_time": 1000}"#)
        let info = try fixture.post("runs/update", #"{"run_id": "\#(runID)", "status": "RUNNING"}"#).json().object("run_info")
        #expect(info["status"] as? String == "RUNNING")
        #expect(jsonInteger(info["end_time"]) == 1000)
    }

    @Test func setTagWithRunNameRenamesTheRun() throws {
        let runID = try fixture.createRun(name: "before")
        _ = fixture.post("runs/set-tag", #"{"run_id": "\#(runID)", "key": "mlflow.runName", "value": "renamed-by-tag"}"#)
        #expect(try fixture.getRun(runID).object("info")["run_name"] as? String == "renamed-by-tag")
    }

    @Test func deleteIsIdempotentAndRestoreWorks() throws {
        let runID = try fixture.createRun()
        #expect(fixture.post("runs/delete", #"{"run_id": "\#(runID)"}"#).status == 200)
        #expect(fixture.post("runs/delete", #"{"run_id": "\#(runID)"}"#).status == 200)
        #expect(try fixture.getRun(runID).object("info")["lifecycle_stage"] as? String == "deleted")
        #expect(fixture.post("runs/restore", #"{"run_id": "\#(runID)"}"#).status == 200)
        #expect(try fixture.getRun(runID).object("info")["lifecycle_stage"] as? String == "active")
    }

    @Test func deletingAnUnknownRunIs404() {
        expectError(fixture.post("runs/delete", #"{"run_id": "nope"}"#), status: 404, code: "RESOURCE_DOES_NOT_EXIST")
    }

    @Test func deleteTag() throws {
        let runID = try fixture.createRun()
        _ = fixture.post("runs/set-tag", #"{"run_id": "\#(runID)", "key": "k", "value": "v"}"#)
        #expect(fixture.post("runs/delete-tag", #"{"run_id": "\#(runID)", "key": "k"}"#).status == 200)
        #expect(try fixture.getRun(runID).object("data").pairValue("tags", "k") == nil)
        expectError(fixture.post("runs/delete-tag", #"{"run_id": "\#(runID)", "key": "k"}"#), status: 404, code: "RESOURCE_DOES_NOT_EXIST")
    }

    @Test func logBatchWritesEverything() throws {
        let runID = try fixture.createRun()
        let body = #"""
            {"run_id": "\#(runID)", "metrics": [{"key": "a", "value": 1, "timestamp": 1, "step": 0}, {"key": "b", "value": "NaN", "timestamp": 1}],
             "params": [{"key": "p", "value": "x"}], "tags": [{"key": "t", "value": "y"}]}
            """#
        #expect(fixture.post("runs/log-batch", body).status == 200)
        let data = try fixture.getRun(runID).object("data")
        #expect(try data.objects("metrics").count == 2)
        #expect(data.pairValue("params", "p") as? String == "x")
        #expect(data.pairValue("tags", "t") as? String == "y")
    }

    @Test func logBatchWithAParamConflictWritesNothing() throws {
        let runID = try fixture.createRun()
        _ = fixture.post("runs/log-parameter", #"{"run_id": "\#(runID)", "key": "p", "value": "1"}"#)
        let body = #"{"run_id": "\#(runID)", "metrics": [{"key": "a", "value": 1, "timestamp": 1}], "params": [{"key": "p", "value": "2"}], "tags": [{"key": "t", "value": "y"}]}"#
        expectError(fixture.post("runs/log-batch", body), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Params were already logged")
        let data = try fixture.getRun(runID).object("data")
        #expect(data["metrics"] == nil)
        #expect(data.pairValue("tags", "t") == nil)
    }

    @Test func logBatchOverTheMetricLimitIsA400() throws {
        let runID = try fixture.createRun()
        let metrics = (0..<1001).map { ["key": "m", "value": 1, "timestamp": $0] as [String: Any] }
        let response = try fixture.post("runs/log-batch", json: ["run_id": runID, "metrics": metrics])
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test func logBatchWithDuplicateParamKeysIsA400() throws {
        let runID = try fixture.createRun()
        let body = #"{"run_id": "\#(runID)", "params": [{"key": "d", "value": "1"}, {"key": "d", "value": "1"}]}"#
        expectError(fixture.post("runs/log-batch", body), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Duplicate parameter keys")
    }

    @Test func logBatchOnAnUnknownRunIs404() {
        expectError(fixture.post("runs/log-batch", #"{"run_id": "nope", "tags": [{"key": "t", "value": "v"}]}"#), status: 404, code: "RESOURCE_DOES_NOT_EXIST")
    }

    @Test func logInputsWithoutADatasetIsA400() throws {
        let runID = try fixture.createRun()
        expectError(fixture.post("runs/log-inputs", #"{"run_id": "\#(runID)", "datasets": [{"tags": []}]}"#), status: 400, code: "INVALID_PARAMETER_VALUE")
    }
}
