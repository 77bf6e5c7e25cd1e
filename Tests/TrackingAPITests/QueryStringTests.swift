import Foundation
import MLflowCore
import Testing
@testable import TrackingAPI

/// GET RPCs read their fields from the query string (contract §1.2).
struct QueryStringTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    private func createExperiment(_ name: String) throws -> String {
        try fixture.store.createExperiment(name: name, artifactLocation: nil, tags: [])
    }

    @Test func percentEscapesAreDecoded() throws {
        let id = try createExperiment("my exp/ü")
        let response = fixture.get("experiments/get-by-name", "experiment_name=my%20exp%2F%C3%BC")
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().object("experiment")["experiment_id"] as? String == id)
    }

    @Test func plusIsASpace() throws {
        let id = try createExperiment("my exp")
        let response = fixture.get("experiments/get-by-name", "experiment_name=my+exp")
        #expect(try response.json().object("experiment")["experiment_id"] as? String == id)
    }

    @Test func encodedPlusIsAPlus() throws {
        let id = try createExperiment("a+b")
        let response = fixture.get("experiments/get-by-name", "experiment_name=a%2Bb")
        #expect(try response.json().object("experiment")["experiment_id"] as? String == id)
    }

    @Test func aRepeatedSingleValuedKeyTakesTheFirstValue() throws {
        // As Flask's args.get does on the MLflow server.
        let id = try createExperiment("second")
        let response = fixture.get("experiments/get", "experiment_id=\(id)&experiment_id=0")
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().object("experiment")["name"] as? String == "second")
    }

    @Test func unknownQueryParametersAreIgnored() {
        #expect(fixture.get("experiments/get", "foo=bar&experiment_id=0&x").status == 200)
    }

    @Test func camelCaseKeysInAQueryStringAreIgnored() throws {
        // Only the fields' own (snake_case) names are read from a query string; the camelCase
        // alias is a JSON-body rule.
        let runID = try fixture.createRun()
        let response = fixture.get("runs/get", "run_id=\(runID)&runId=other")
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().object("run").object("info")["run_id"] as? String == runID)
    }

    @Test func numbersAreParsedFromQueryStrings() throws {
        let runID = try fixture.createRun()
        for step in 0..<3 {
            _ = try fixture.post("runs/log-metric", json: ["run_id": runID, "key": "m", "value": 1, "timestamp": step, "step": step])
        }
        let response = fixture.get("metrics/get-history", "run_id=\(runID)&metric_key=m&max_results=2")
        #expect(try response.json().objects("metrics").count == 2)
    }

    @Test func repeatedKeysFormAList() throws {
        let fields = RequestFields.query(URLDecoding.queryPairs("run_ids=a&run_ids=b%20c&run_ids=d"))
        #expect(try fields.strings("run_ids") == ["a", "b c", "d"])
    }

    @Test func aSingleOccurrenceIsAOneElementList() throws {
        let fields = RequestFields.query(URLDecoding.queryPairs("run_ids=a"))
        #expect(try fields.strings("run_ids") == ["a"])
    }

    @Test func queryPairsKeepOrderAndDecode() {
        let pairs = URLDecoding.queryPairs("a=1&b=x+y&a=%32&flag&=v")
        #expect(pairs.map(\.0) == ["a", "b", "a", "flag", ""])
        #expect(pairs.map(\.1) == ["1", "x y", "2", "", "v"])
    }

    @Test func queryBooleansAreCaseInsensitive() throws {
        let fields = RequestFields.query([("a", "True"), ("b", "FALSE")])
        #expect(try fields.bool("a") == true)
        #expect(try fields.bool("b") == false)
    }

    @Test func otherQueryBooleansAreA400() {
        let fields = RequestFields.query([("a", "yes")])
        #expect(throws: Error.self) { try fields.bool("a") }
    }

    @Test func getWithoutAQueryReadsAJSONBody() throws {
        let response = fixture.send(
            APIRequest(method: "GET", path: "/api/2.0/mlflow/experiments/get", contentType: "application/json", body: Array(#"{"experiment_id": "0"}"#.utf8)))
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().object("experiment")["name"] as? String == "Default")
    }

    @Test func getWithoutQueryOrBodyIsAMissingParameter() {
        let response = fixture.get("experiments/get")
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "Missing value for required parameter 'experiment_id'")
    }

    @Test func getWithAQueryIgnoresTheBody() throws {
        let response = fixture.send(
            APIRequest(
                method: "GET", path: "/api/2.0/mlflow/experiments/get", query: "experiment_id=0", contentType: "application/json",
                body: Array(#"{"experiment_id": "999"}"#.utf8)))
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().object("experiment")["experiment_id"] as? String == "0")
    }
}
