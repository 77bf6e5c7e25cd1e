import Foundation
import Testing
import TrackingAPI

/// Missing fields and the paths named in messages (contract §5.3, §8).
struct RequiredFieldTests {
    let fixture: APIFixture
    let runID: String

    init() throws {
        fixture = try APIFixture()
        runID = try fixture.createRun()
    }

    @Test func missingMetricTimestamp() {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": 1}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Missing value for required parameter 'timestamp'")
    }

    @Test func missingMetricValue() {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "timestamp": 1}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Missing value for required parameter 'value'")
    }

    @Test func missingMetricKey() {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "value": 1, "timestamp": 1}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Missing value for required parameter 'key'")
    }

    @Test func missingExperimentName() {
        expectError(
            fixture.post("experiments/create", "{}"), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Missing value for required parameter 'name'")
    }

    @Test func missingRunID() {
        expectError(
            fixture.get("runs/get", "foo=bar"), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Missing value for required parameter 'run_id'")
    }

    @Test func missingMetricKeyOfAHistory() {
        expectError(
            fixture.get("metrics/get-history", "run_id=\(runID)"), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Missing value for required parameter 'metric_key'")
    }

    @Test func missingParamValueIsStoredAsEmpty() throws {
        let response = fixture.post("runs/log-parameter", #"{"run_id": "\#(runID)", "key": "p"}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try fixture.store.run(id: runID).params.first?.value == "")
    }

    @Test func nestedMetricFieldIsNamedByItsPath() throws {
        let response = fixture.post("runs/log-batch", #"{"run_id": "\#(runID)", "metrics": [{"key": "m", "value": 1}]}"#)
        expectError(
            response, status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Missing value for required parameter 'metrics[0].timestamp'")
    }

    @Test func nestedFieldIndexIsTheElementsPosition() throws {
        let body = #"{"run_id": "\#(runID)", "metrics": [{"key": "a", "value": 1, "timestamp": 1}, {"key": "b", "value": 1, "timestamp": "x"}]}"#
        expectError(fixture.post("runs/log-batch", body), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'metrics[1].timestamp'")
        #expect(try fixture.store.run(id: runID).metrics.isEmpty)
    }

    @Test func nestedParamKeyIsNamedByItsPath() {
        let body = #"{"run_id": "\#(runID)", "params": [{"key": "a", "value": "1"}, {"value": "2"}]}"#
        expectError(fixture.post("runs/log-batch", body), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'params[1].key'")
    }

    @Test func nonObjectListElementIsNamedByItsPath() {
        let body = #"{"run_id": "\#(runID)", "tags": ["k"]}"#
        expectError(fixture.post("runs/log-batch", body), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "tags[0]")
    }

    @Test func emptyBatchIsFine() {
        #expect(fixture.post("runs/log-batch", #"{"run_id": "\#(runID)"}"#).status == 200)
    }
}
