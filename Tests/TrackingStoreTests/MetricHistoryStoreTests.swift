import Foundation
import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Metric history order and paging (contract §9).
struct MetricHistoryStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let runID: String

    init() throws {
        fixture = try StoreFixture()
        runID = try fixture.makeRun().info.runID
    }

    @Test func historyIsOrderedByTimestampThenStepThenValue() throws {
        let points: [(Double, Int64, Int64)] = [(5, 30, 0), (4, 10, 2), (3, 10, 1), (2, 10, 1), (1, 20, -1)]
        for (value, timestamp, step) in points {
            try fixture.logMetric(runID, "m", value, timestamp: timestamp, step: step)
        }
        let history = try fixture.history(runID, "m")
        #expect(history.map(\.value) == [2, 3, 4, 1, 5])
        #expect(history.map(\.timestamp) == [10, 10, 10, 20, 30])
        #expect(history.map(\.step) == [1, 1, 2, -1, 0])
        #expect(history.allSatisfy { $0.key == "m" })
    }

    @Test func historyOnlyHoldsTheRequestedKey() throws {
        try fixture.logMetric(runID, "a", 1, timestamp: 1)
        try fixture.logMetric(runID, "b", 2, timestamp: 1)
        #expect(try fixture.history(runID, "a").map(\.value) == [1])
    }

    @Test func withoutMaxResultsAllPointsComeWithoutAToken() throws {
        for i in 0..<30 { try fixture.logMetric(runID, "m", Double(i), timestamp: Int64(i)) }
        let page = try store.metricHistory(runID: runID, key: "m", maxResults: nil, pageToken: nil)
        #expect(page.items.count == 30)
        #expect(page.nextPageToken == nil)
    }

    @Test func unknownRunGivesAnEmptyPage() throws {
        let page = try store.metricHistory(runID: "nope", key: "m", maxResults: nil, pageToken: nil)
        #expect(page.items.isEmpty)
        #expect(page.nextPageToken == nil)
    }

    @Test func unknownKeyGivesAnEmptyPage() throws {
        let page = try store.metricHistory(runID: runID, key: "nothing", maxResults: 10, pageToken: nil)
        #expect(page.items.isEmpty)
        #expect(page.nextPageToken == nil)
    }

    private func allPages(maxResults: Int) throws -> [Page<Metric>] {
        var pages: [Page<Metric>] = []
        var token: String?
        repeat {
            let page = try store.metricHistory(runID: runID, key: "m", maxResults: maxResults, pageToken: token)
            pages.append(page)
            token = page.nextPageToken
            try #require(pages.count < 100, "paging does not end")
        } while token != nil
        return pages
    }

    @Test(arguments: [(7, 3), (6, 3), (5, 1), (3, 5), (1, 1)])
    func pagingReturnsEveryPointExactlyOnce(count: Int, maxResults: Int) throws {
        for i in 0..<count { try fixture.logMetric(runID, "m", Double(i), timestamp: Int64(100 - i)) }
        let pages = try allPages(maxResults: maxResults)
        #expect(pages.map(\.items.count) == stride(from: 0, to: count, by: maxResults).map { min(maxResults, count - $0) })
        let values = pages.flatMap(\.items).map(\.value)
        #expect(values == (0..<count).reversed().map(Double.init))
        #expect(pages.last?.nextPageToken == nil)
        #expect(pages.dropLast().allSatisfy { $0.nextPageToken != nil })
    }

    @Test func emptyTokenMeansTheFirstPage() throws {
        for i in 0..<3 { try fixture.logMetric(runID, "m", Double(i), timestamp: Int64(i)) }
        let page = try store.metricHistory(runID: runID, key: "m", maxResults: 2, pageToken: "")
        #expect(page.items.map(\.value) == [0, 1])
    }

    @Test(arguments: ["not base64!", "%%%", Data("not json".utf8).base64EncodedString(), Data("{\"offset\": -1}".utf8).base64EncodedString(), Data("{\"page\": 2}".utf8).base64EncodedString()])
    func malformedPageTokenIsA400(token: String) throws {
        try fixture.logMetric(runID, "m", 1, timestamp: 1)
        expectMLflowError(.invalidParameterValue, containing: "Invalid page token") {
            try store.metricHistory(runID: runID, key: "m", maxResults: 10, pageToken: token)
        }
    }

    @Test(arguments: [0, -1])
    func nonPositiveMaxResultsIsA400(maxResults: Int) {
        expectMLflowError(.invalidParameterValue, containing: "max_results") {
            try store.metricHistory(runID: runID, key: "m", maxResults: maxResults, pageToken: nil)
        }
    }
}
