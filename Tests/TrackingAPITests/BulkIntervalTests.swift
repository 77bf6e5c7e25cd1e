import Foundation
import Testing
import TrackingAPI

/// `metrics/get-history-bulk-interval` (contract §9): sampled steps per run.
struct BulkIntervalTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    private func log(_ runID: String, steps: ClosedRange<Int>) throws {
        let metrics = steps.map { ["key": "loss", "value": Double($0), "timestamp": 1000 + $0, "step": $0] as [String: Any] }
        #expect(try fixture.post("runs/log-batch", json: ["run_id": runID, "metrics": metrics]).status == 200)
    }

    @Test func samplesStepsKeepingFirstAndLastPerRun() throws {
        let a = try fixture.createRun(), b = try fixture.createRun()
        try log(a, steps: 0...99)
        try log(b, steps: 0...2)
        let response = fixture.get("metrics/get-history-bulk-interval", "run_ids=\(a)&run_ids=\(b)&metric_key=loss&max_results=5")
        let metrics = try #require(try response.json()["metrics"] as? [[String: Any]])
        let stepsOfA = metrics.filter { $0["run_id"] as? String == a }.compactMap { jsonInteger($0["step"]) }
        let stepsOfB = metrics.filter { $0["run_id"] as? String == b }.compactMap { jsonInteger($0["step"]) }
        #expect(stepsOfA == [0, 25, 50, 74, 99])
        #expect(stepsOfB == [0, 1, 2])
    }

    @Test func stepRangeLimitsThePoints() throws {
        let a = try fixture.createRun()
        try log(a, steps: 0...20)
        let response = fixture.get("metrics/get-history-bulk-interval", "run_ids=\(a)&metric_key=loss&start_step=5&end_step=7")
        let steps = try #require(try response.json()["metrics"] as? [[String: Any]]).compactMap { jsonInteger($0["step"]) }
        #expect(steps == [5, 6, 7])
    }

    @Test func onlyOneEndOfTheRangeIsA400() throws {
        let a = try fixture.createRun()
        expectError(fixture.get("metrics/get-history-bulk-interval", "run_ids=\(a)&metric_key=loss&start_step=5"), status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test func runIDsAndMaxResultsAreBounded() {
        expectError(fixture.get("metrics/get-history-bulk-interval", "metric_key=loss"), status: 400, code: "INVALID_PARAMETER_VALUE")
        expectError(fixture.get("metrics/get-history-bulk-interval", "run_ids=a&metric_key=loss&max_results=2501"), status: 400, code: "INVALID_PARAMETER_VALUE")
    }
}
