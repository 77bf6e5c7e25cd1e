import Foundation
import MLflowCore
import Testing
@testable import TrackingAPI
import TrackingStore

/// MLflow's error JSON and statuses, and no 5xx for client mistakes (contract §2, §3).
struct ErrorResponseTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    @Test func errorBodyHasCodeAndMessage() throws {
        let response = fixture.get("experiments/get", "experiment_id=999")
        #expect(response.status == 404)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        let body = try response.json()
        #expect(body["error_code"] as? String == "RESOURCE_DOES_NOT_EXIST")
        #expect(body["message"] as? String == "No Experiment with id=999 exists")
    }

    @Test func nonIntegerExperimentIDIsA400() {
        expectError(
            fixture.get("experiments/get", "experiment_id=abc"), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.")
    }

    @Test func missingExperimentByNameIsExactlyResourceDoesNotExist() {
        expectError(
            fixture.get("experiments/get-by-name", "experiment_name=absent"), status: 404, code: "RESOURCE_DOES_NOT_EXIST",
            containing: "Could not find experiment with name 'absent'")
    }

    @Test func duplicateExperimentIsA400ResourceAlreadyExists() {
        _ = fixture.post("experiments/create", #"{"name": "dup"}"#)
        expectError(fixture.post("experiments/create", #"{"name": "dup"}"#), status: 400, code: "RESOURCE_ALREADY_EXISTS")
    }

    @Test func unknownRunIs404() {
        expectError(fixture.get("runs/get", "run_id=no%20such"), status: 404, code: "RESOURCE_DOES_NOT_EXIST", containing: "Run with id=no such not found")
    }

    @Test func changedParamIsA400() throws {
        let runID = try fixture.createRun()
        _ = fixture.post("runs/log-parameter", #"{"run_id": "\#(runID)", "key": "lr", "value": "0.1"}"#)
        expectError(
            fixture.post("runs/log-parameter", #"{"run_id": "\#(runID)", "key": "lr", "value": "0.2"}"#), status: 400,
            code: "INVALID_PARAMETER_VALUE", containing: "Changing param values is not allowed")
    }

    @Test func invalidKeyIsA400WithMLflowWording() throws {
        let runID = try fixture.createRun()
        expectError(
            fixture.post("runs/set-tag", #"{"run_id": "\#(runID)", "key": "bad#key", "value": "v"}"#), status: 400,
            code: "INVALID_PARAMETER_VALUE", containing: #"Invalid value "bad#key" for parameter 'key' supplied"#)
    }

    @Test func writeToADeletedRunIsA400() throws {
        let runID = try fixture.createRun()
        _ = fixture.post("runs/delete", #"{"run_id": "\#(runID)"}"#)
        expectError(
            fixture.post("runs/set-tag", #"{"run_id": "\#(runID)", "key": "k", "value": "v"}"#), status: 400,
            code: "INVALID_PARAMETER_VALUE", containing: "must be in the 'active' state")
    }

    @Test func busyDatabaseIs503TemporarilyUnavailable() throws {
        let fixture = try APIFixture(busyTimeoutMilliseconds: 100)
        let blocker = try SQLiteConnection(path: fixture.database.path, busyTimeoutMilliseconds: 100)
        try blocker.execute("BEGIN IMMEDIATE")
        defer { try? blocker.execute("ROLLBACK") }
        let response = fixture.post("experiments/create", #"{"name": "blocked"}"#, allowServerError: true)
        expectError(response, status: 503, code: "TEMPORARILY_UNAVAILABLE")
    }

    @Test func renamingADeletedExperimentIsNotA5xx() throws {
        let id = try fixture.store.createExperiment(name: "old", artifactLocation: nil, tags: [])
        try fixture.store.deleteExperiment(id: id)
        let response = fixture.post("experiments/update", #"{"experiment_id": "\#(id)", "new_name": "new"}"#)
        #expect((400..<500).contains(response.status), "\(response.status) \(response.text)")
    }

    @Test func errorStatusFollowsTheCodeMapping() {
        for code in ErrorCode.allCases {
            let response = TrackingAPI.error(MLflowError(code, "m"))
            #expect(response.status == code.httpStatus)
        }
    }

    /// Client mistakes of every kind: none may answer 5xx (clients retry those for minutes).
    @Test func noClientMistakeAnswers5xx() throws {
        let runID = try fixture.createRun()
        let requests: [APIRequest] = [
            APIRequest(method: "GET", path: "/api/2.0/mlflow/experiments/get", query: "experiment_id=-1"),
            APIRequest(method: "GET", path: "/api/2.0/mlflow/experiments/get", query: "experiment_id=99999999999999999999999"),
            APIRequest(method: "GET", path: "/api/2.0/mlflow/experiments/get", query: "experiment_id=%FF%FE"),
            APIRequest(method: "GET", path: "/api/2.0/mlflow/runs/get", query: "run_id=%00"),
            APIRequest(method: "GET", path: "/api/2.0/mlflow/metrics/get-history", query: "run_id=\(runID)&metric_key=m&max_results=abc"),
            APIRequest(method: "GET", path: "/api/2.0/mlflow/metrics/get-history", query: "run_id=\(runID)&metric_key=m&max_results=99999999999999999999"),
            APIRequest(method: "GET", path: "/api/2.0/mlflow/metrics/get-history", query: "run_id=\(runID)&metric_key=m&page_token=eyJvZmZzZXQiOiAtNX0="),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/create", contentType: "application/json", body: Array("{}".utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/create", contentType: "application/json", body: Array(#"{"experiment_id": "abc"}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/create", contentType: "application/json", body: Array(#"{"experiment_id": "0", "start_time": 1e400}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/log-metric", contentType: "application/json", body: Array(#"{"run_id": "\#(runID)", "key": "m", "value": 1, "timestamp": 99999999999999999999}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/log-batch", contentType: "application/json", body: Array(#"{"run_id": "\#(runID)", "metrics": {}}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/log-inputs", contentType: "application/json", body: Array(#"{"run_id": "\#(runID)", "datasets": [{}]}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/update", contentType: "application/json", body: Array(#"{"run_id": "\#(runID)", "status": {}}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/experiments/create", contentType: "application/json", body: [0xFF, 0xFE, 0x00]),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/experiments/create", contentType: "application/json", body: Array(String(repeating: "[", count: 100_000).utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/experiments/create", contentType: "application/json", body: Array(#"{"name": "\ud800"}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/experiments/create", contentType: "application/json", body: Array(#"{"name": "x", "artifact_location": "\#(String(repeating: "a", count: 3000))"}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/experiments/set-experiment-tag", contentType: "application/json", body: Array(#"{"experiment_id": "0", "key": "k", "value": "\#(String(repeating: "v", count: 20001))"}"#.utf8)),
            APIRequest(method: "POST", path: "/api/2.0/mlflow/experiments/delete-experiment-tag", contentType: "application/json", body: Array(#"{"experiment_id": "0", "key": "missing"}"#.utf8)),
            APIRequest(method: "PUT", path: "/api/2.0/mlflow/runs/log-batch", contentType: "application/json", body: Array("{}".utf8)),
        ]
        for request in requests {
            let response = fixture.send(request)
            #expect(response.status < 500, "\(request.method) \(request.path)?\(request.query) → \(response.status) \(response.text)")
            #expect(response.errorCode != nil, "\(request.path): \(response.text.prefix(200))")
        }
    }
}
