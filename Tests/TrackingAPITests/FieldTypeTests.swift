import Foundation
import Testing
import TrackingAPI

/// Field types in MLflow's protobuf-JSON dialect (contract §1.3, §5.3).
struct FieldTypeTests {
    let fixture: APIFixture
    let runID: String

    init() throws {
        fixture = try APIFixture()
        runID = try fixture.createRun()
    }

    @Test func numberForAStringFieldIsA400NamingTheField() {
        let response = fixture.post("runs/create", #"{"experiment_id": 1}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'experiment_id'")
    }

    @Test func numberForAParamValueIsA400NamingTheField() throws {
        let response = fixture.post("runs/log-parameter", #"{"run_id": "\#(runID)", "key": "lr", "value": 5}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'value'")
        #expect(try fixture.store.run(id: runID).params.isEmpty)
    }

    @Test func nonNumericMetricValueIsA400NamingTheField() {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": "abc", "timestamp": 1}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'value'")
    }

    @Test(arguments: [#""nan""#, #""inf1""#, #""0x10""#, #""""#, "[1]", "{}"])
    func otherNonNumericMetricValuesAreA400(value: String) {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": \#(value), "timestamp": 1}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test(arguments: [#""abc""#, "1.5", #""1.5""#, "true", "[1]"])
    func nonIntegerTimestampIsA400NamingTheField(value: String) {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": 1, "timestamp": \#(value)}"#)
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'timestamp'")
    }

    @Test func listForAStringFieldIsA400() {
        expectError(fixture.post("experiments/create", #"{"name": ["x"]}"#), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'name'")
    }

    @Test func scalarForAListFieldIsA400() {
        expectError(fixture.post("experiments/create", #"{"name": "x", "tags": "a"}"#), status: 400, code: "INVALID_PARAMETER_VALUE", containing: "'tags'")
    }

    @Test func int64IsAcceptedFromANumericString() throws {
        let response = fixture.post("runs/create", #"{"experiment_id": "0", "start_time": "1700000000123"}"#)
        #expect(response.status == 200, "\(response.text)")
        let info = try response.json().object("run").object("info")
        #expect(jsonInteger(info["start_time"]) == 1_700_000_000_123)
    }

    @Test func metricTimestampAndStepAreAcceptedFromStrings() throws {
        let response = fixture.post(
            "runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": 1, "timestamp": "1700000000000", "step": "-3"}"#)
        #expect(response.status == 200, "\(response.text)")
        let metric = try #require(try fixture.store.run(id: runID).metrics.first)
        #expect(metric.timestamp == 1_700_000_000_000)
        #expect(metric.step == -3)
    }

    // Found by the hostile-input e2e suite (issue #7): "0x10" was read as 16 (Swift's Double
    // reads hex), so a run was created from it; MLflow (protobuf JSON) refuses it.
    @Test(arguments: [#""0x10""#, #""0x1p3""#, #""nan""#, #""NaN""#, #""Infinity""#, #""inf""#, #""1.5""#, #""abc""#, "1.5", "1e30"])
    func int64RefusesWhatIsNotAnInteger(json: String) throws {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": 1, "timestamp": \#(json)}"#)
        #expect(response.status == 400, "\(json): \(response.text)")
        #expect(try fixture.store.run(id: runID).metrics.isEmpty)
    }

    @Test func int64KeepsFullPrecision() throws {
        let response = fixture.post(
            "runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": 1, "timestamp": 1, "step": 9007199254740993}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try fixture.store.run(id: runID).metrics.first?.step == 9_007_199_254_740_993)
    }

    @Test(arguments: [
        (#""NaN""#, Double.nan), (#""Infinity""#, 1.7976931348623157e308), (#""-Infinity""#, -1.7976931348623157e308),
        (#""2.5""#, 2.5), (#""-1e3""#, -1000), ("true", 1), ("false", 0), ("3", 3), ("-0.125", -0.125), ("1e-3", 0.001),
    ])
    func metricValueForms(json: String, expected: Double) throws {
        let response = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": \#(json), "timestamp": 1}"#)
        #expect(response.status == 200, "\(response.text)")
        let stored = try #require(try fixture.store.run(id: runID).metrics.first?.value)
        if expected.isNaN {
            #expect(stored.isNaN)
        } else {
            #expect(stored == expected)
        }
    }

    @Test func runStatusIsAcceptedByName() throws {
        let response = fixture.post("runs/update", #"{"run_id": "\#(runID)", "status": "FAILED"}"#)
        #expect(try response.json().object("run_info")["status"] as? String == "FAILED")
    }

    @Test func runStatusIsAcceptedByNumber() throws {
        let response = fixture.post("runs/update", #"{"run_id": "\#(runID)", "status": 3}"#)
        #expect(try response.json().object("run_info")["status"] as? String == "FINISHED")
    }

    @Test func unknownRunStatusNameIsIgnored() throws {
        let response = fixture.post("runs/update", #"{"run_id": "\#(runID)", "status": "BOGUS"}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().object("run_info")["status"] as? String == "RUNNING")
    }
}
