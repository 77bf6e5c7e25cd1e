import Foundation
import Testing
import TrackingAPI

/// POST bodies: content type, JSON parsing, aliases and null (contract §1.2).
struct RequestBodyTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    @Test func postWithoutContentTypeIsA400() {
        let response = fixture.post("experiments/create", #"{"name": "x"}"#, contentType: nil)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Content-Type must be one of ['application/json']")
    }

    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "application/js", "application/js;on", ""])
    func postWithAnotherContentTypeIsA400(contentType: String) {
        let response = fixture.post("experiments/create", #"{"name": "x"}"#, contentType: contentType)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test(arguments: ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON", " application/json "])
    func jsonContentTypesWithParametersAreAccepted(contentType: String) {
        let response = fixture.post("experiments/create", #"{"name": "x"}"#, contentType: contentType)
        #expect(response.status == 200, "\(response.text)")
    }

    @Test(arguments: [#"{"name": "x""#, #"{name: "x"}"#, "not json", #"{"name": "x",}"#, #"{"name": "x"} trailing"#])
    func malformedJSONIsA400(body: String) {
        let response = fixture.post("experiments/create", body)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test func bodyThatIsNotAnObjectIsA400() {
        expectError(fixture.post("experiments/create", #"["name"]"#), status: 400, code: "INVALID_PARAMETER_VALUE")
        expectError(fixture.post("experiments/create", "42"), status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test func emptyBodyIsAnEmptyMessage() {
        expectError(
            fixture.post("experiments/create", ""), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Missing value for required parameter 'name'")
    }

    @Test func doubleEncodedBodyIsAccepted() throws {
        let inner = #"{"name": "double"}"#
        let outer = String(decoding: try JSONSerialization.data(withJSONObject: inner, options: [.fragmentsAllowed]), as: UTF8.self)
        let response = fixture.post("experiments/create", outer)
        #expect(response.status == 200, "\(response.text)")
        #expect(try fixture.store.experiment(named: "double").name == "double")
    }

    @Test func unknownFieldsAreIgnored() {
        let response = fixture.post("experiments/create", #"{"name": "x", "unknown": {"deep": [1, 2]}, "workspace": "default"}"#)
        #expect(response.status == 200, "\(response.text)")
    }

    @Test func camelCaseAliasIsAccepted() throws {
        let runID = try fixture.createRun()
        let response = fixture.post("runs/log-parameter", #"{"runId": "\#(runID)", "key": "lr", "value": "0.1"}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try fixture.store.run(id: runID).params.first?.value == "0.1")
    }

    @Test func camelCaseAliasOfAMultiWordFieldIsAccepted() throws {
        let response = fixture.post("experiments/create", #"{"name": "aliased", "artifactLocation": "s3://b/p"}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try fixture.store.experiment(named: "aliased").artifactLocation == "s3://b/p")
    }

    @Test func bothSpellingsOfAFieldAreA400() throws {
        let runID = try fixture.createRun()
        let response = fixture.post("runs/log-parameter", #"{"run_id": "\#(runID)", "runId": "\#(runID)", "key": "lr", "value": "1"}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Request specifies both 'run_id' and 'runId'")
    }

    @Test func nullIsTheSameAsAbsent() throws {
        let response = fixture.post("experiments/create", #"{"name": "nulls", "artifact_location": null, "tags": null}"#)
        #expect(response.status == 200, "\(response.text)")
        let experiment = try fixture.store.experiment(named: "nulls")
        #expect(experiment.artifactLocation == "mlflow-artifacts:/\(experiment.experimentID)")
    }

    @Test func nullForARequiredFieldIsAMissingParameter() {
        expectError(
            fixture.post("experiments/create", #"{"name": null}"#), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Missing value for required parameter 'name'")
    }

    @Test func nullSnakeCaseWithCamelCaseValueUsesTheAlias() throws {
        let runID = try fixture.createRun()
        let response = fixture.post("runs/set-tag", #"{"run_id": null, "runId": "\#(runID)", "key": "k", "value": "v"}"#)
        #expect(response.status == 200, "\(response.text)")
    }

    @Test func runUUIDIsAcceptedWhereMLflowFallsBackToIt() throws {
        let runID = try fixture.createRun()
        #expect(fixture.get("runs/get", "run_uuid=\(runID)").status == 200)
        #expect(fixture.post("runs/log-parameter", #"{"run_uuid": "\#(runID)", "key": "a", "value": "1"}"#).status == 200)
        #expect(fixture.post("runs/set-tag", #"{"run_uuid": "\#(runID)", "key": "a", "value": "1"}"#).status == 200)
    }

    @Test func runIDWinsOverRunUUID() throws {
        let runID = try fixture.createRun()
        let response = fixture.get("runs/get", "run_uuid=other&run_id=\(runID)")
        #expect(response.status == 200, "\(response.text)")
    }

    @Test func deleteKnowsOnlyRunID() throws {
        let runID = try fixture.createRun()
        expectError(
            fixture.post("runs/delete", #"{"run_uuid": "\#(runID)"}"#), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "Missing value for required parameter 'run_id'")
    }

    @Test func bodyLargerThanTheLimitIsA400() {
        // A streamed body one byte over the limit, produced without holding it in memory.
        var remaining = TrackingAPI.maxBodyBytes + 1
        let body = RequestBody { buffer in
            let count = min(buffer.count, remaining)
            for index in 0..<count { buffer[index] = UInt8(ascii: " ") }
            remaining -= count
            return count
        }
        let response = fixture.send(
            APIRequest(method: "POST", path: "/api/2.0/mlflow/experiments/create", contentType: "application/json", body: body))
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "larger than")
    }
}
