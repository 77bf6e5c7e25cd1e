import Foundation
import Testing
import TrackingAPI

/// The log-batch request-size limit (contract §5.2).
struct BodySizeTests {
    let fixture: APIFixture
    let runID: String

    init() throws {
        fixture = try APIFixture()
        runID = try fixture.createRun()
    }

    /// A valid body of exactly `size` bytes carrying one padded tag.
    private func body(ofSize size: Int) -> String {
        let head = #"{"run_id": "\#(runID)", "tags": [{"key": "pad", "value": ""#
        let tail = #""}]}"#
        return head + String(repeating: "x", count: size - head.utf8.count - tail.utf8.count) + tail
    }

    @Test func logBatchBodyOfExactly1000000BytesIsAccepted() throws {
        let text = body(ofSize: 1_000_000)
        #expect(text.utf8.count == 1_000_000)
        let response = fixture.post("runs/log-batch", text)
        #expect(response.status == 200, "\(response.text.prefix(300))")
    }

    @Test func logBatchBodyOver1000000BytesIsA400() throws {
        let response = fixture.post("runs/log-batch", body(ofSize: 1_000_001))
        expectError(response, status: 400, code: "INVALID_PARAMETER_VALUE")
        #expect(try fixture.store.run(id: runID).tags.allSatisfy { $0.key != "pad" })
    }

    @Test func otherRPCsAreNotHeldToTheBatchLimit() throws {
        let value = String(repeating: "y", count: 1_200_000)
        let response = fixture.post("runs/set-tag", #"{"run_id": "\#(runID)", "key": "big", "value": "\#(value)"}"#)
        #expect(response.status == 200, "\(response.text.prefix(300))")
        #expect(try fixture.store.run(id: runID).tags.first { $0.key == "big" }?.value.count == 8000)
    }
}
