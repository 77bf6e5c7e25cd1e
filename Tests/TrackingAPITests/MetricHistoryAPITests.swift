import Foundation
import Testing
import MLflowCore
@testable import TrackingAPI

/// `metrics/get-history` through the API (contract §9).
struct MetricHistoryAPITests {
    let fixture: APIFixture
    let runID: String

    init() throws {
        fixture = try APIFixture()
        runID = try fixture.createRun()
    }

    private func log(_ value: String, timestamp: Int, step: Int = 0) {
        _ = fixture.post("runs/log-metric", #"{"run_id": "\#(runID)", "key": "m", "value": \#(value), "timestamp": \#(timestamp), "step": \#(step)}"#)
    }

    @Test func unknownRunAnswersAnEmptyObject() throws {
        let response = fixture.get("metrics/get-history", "run_id=nope&metric_key=m")
        #expect(response.status == 200)
        #expect(try response.json().isEmpty, "\(response.text)")
    }

    @Test func historyIsOrderedAndShaped() throws {
        log("3", timestamp: 20)
        log("1", timestamp: 10, step: 2)
        log("\"NaN\"", timestamp: 10, step: 1)
        let response = fixture.get("metrics/get-history", "run_id=\(runID)&metric_key=m")
        let body = try response.json()
        #expect(body["next_page_token"] == nil)
        let metrics = try body.objects("metrics")
        #expect(metrics.map { jsonInteger($0["timestamp"]) } == [10, 10, 20])
        #expect(metrics.map { jsonInteger($0["step"]) } == [1, 2, 0])
        #expect(metrics[0]["value"] as? String == "NaN")
        #expect(jsonDouble(metrics[1]["value"]) == 1)
        #expect(metrics.allSatisfy { $0["key"] as? String == "m" })
    }

    @Test func pagesCoverEveryPointOnceAndTheLastHasNoToken() throws {
        for i in 0..<5 { log("\(i)", timestamp: i) }
        var values: [Double] = []
        var query = "run_id=\(runID)&metric_key=m&max_results=2"
        var pages = 0
        while true {
            let body = try fixture.get("metrics/get-history", query).json()
            pages += 1
            values += try body.objects("metrics").compactMap { jsonDouble($0["value"]) }
            guard let token = body["next_page_token"] as? String else { break }
            let escaped = try #require(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            query = "run_id=\(runID)&metric_key=m&max_results=2&page_token=\(escaped)"
            try #require(pages < 10)
        }
        #expect(pages == 3)
        #expect(values == [0, 1, 2, 3, 4])
    }

    @Test func malformedPageTokenIsA400() {
        log("1", timestamp: 1)
        let response = fixture.get("metrics/get-history", "run_id=\(runID)&metric_key=m&max_results=2&page_token=%21%21%21")
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test(arguments: ["0", "-5"])
    func nonPositiveMaxResultsIsA400(maxResults: String) {
        let response = fixture.get("metrics/get-history", "run_id=\(runID)&metric_key=m&max_results=\(maxResults)")
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE")
    }

    @Test func theLargestMaxResultsAnswersEveryPoint() throws {
        for i in 0..<3 { log("\(i)", timestamp: i) }
        let body = try fixture.get("metrics/get-history", "run_id=\(runID)&metric_key=m&max_results=9223372036854775807").json()
        #expect(try body.objects("metrics").count == 3)
        #expect(body["next_page_token"] == nil)
    }

    /// A long history is written while it is sent, in pieces of about 64 KiB, and the
    /// pieces make one document with every point in order.
    @Test func aLongHistoryIsSentInPiecesThatMakeOneDocument() throws {
        for batch in 0..<3 {
            let points = (0..<1000).map { i in
                #"{"key": "m", "value": \#(batch * 1000 + i), "timestamp": \#(batch * 1000 + i), "step": \#(i)}"#
            }
            let answer = fixture.post("runs/log-batch", #"{"run_id": "\#(runID)", "metrics": [\#(points.joined(separator: ","))]}"#)
            try #require(answer.status == 200, "\(answer.text)")
        }
        let response = fixture.api.handle(APIRequest(method: "GET", path: APIFixture.root + "metrics/get-history", query: "run_id=\(runID)&metric_key=m"))
        let stream = try #require(response.stream)
        #expect(response.body.isEmpty)
        #expect(!response.headers.contains { $0.name == "Content-Length" })
        var pieces: [[UInt8]] = []
        stream.write { pieces.append(Array($0)) }
        #expect(pieces.count > 1 && pieces.allSatisfy { $0.count <= 80 * 1024 }, "\(pieces.map(\.count))")
        let object = try JSONSerialization.jsonObject(with: Data(pieces.joined())) as? [String: Any]
        let metrics = try #require(object?["metrics"] as? [[String: Any]])
        #expect(metrics.count == 3000)
        #expect(metrics.map { jsonInteger($0["timestamp"]) } == (0..<3000).map { $0 })
    }

    /// A read that fails part-way leaves the document unfinished, so the client rejects it
    /// (and retries) instead of taking it for a shorter history.
    @Test func aReadFailingPartWayLeavesTheDocumentUnfinished() throws {
        struct ReadFailed: Error {}
        var bytes: [UInt8] = []
        TrackingAPI.writeHistory(to: { bytes.append(contentsOf: $0) }) { each in
            for step in 0..<3_000 { try each(Metric(key: "m", value: 1, timestamp: Int64(step), step: Int64(step))) }
            throw ReadFailed()
        }
        #expect(!bytes.isEmpty, "the pieces already sent stay sent")
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes))) == nil)

        var whole: [UInt8] = []
        TrackingAPI.writeHistory(to: { whole.append(contentsOf: $0) }) { each in
            try each(Metric(key: "m", value: 1, timestamp: 1, step: 0))
            return "next"
        }
        let object = try JSONSerialization.jsonObject(with: Data(whole)) as? [String: Any]
        #expect((object?["metrics"] as? [Any])?.count == 1)
        #expect(object?["next_page_token"] as? String == "next")
    }
}
