import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Logging metrics: history, latest value, NaN and infinities (contract §6.3–§6.5).
struct MetricStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let runID: String

    init() throws {
        fixture = try StoreFixture()
        runID = try fixture.makeRun().info.runID
    }

    @Test func latestWithinOneBatchFollowsTheRule() throws {
        // The points of one batch arrive out of order; the latest must still be the largest
        // (step, timestamp, value), and every point lands in the history.
        let points = [
            Metric(key: "m", value: 1.5, timestamp: 1_700_000_000_001, step: 0),
            Metric(key: "m", value: 0.5, timestamp: 1_700_000_000_000, step: 5),
            Metric(key: "m", value: 9.0, timestamp: 1_700_000_009_999, step: 4),
            Metric(key: "n", value: 2, timestamp: 5, step: 1),
            Metric(key: "n", value: 3, timestamp: 5, step: 1),
        ]
        try store.logBatch(runID: runID, metrics: points, params: [], tags: [])
        let run = try store.run(id: runID)
        #expect(run.metric("m")?.value == 0.5)
        #expect(run.metric("n")?.value == 3)
        #expect(try fixture.history(runID, "m").count == 3)
        // A later batch with a lower-ranking point leaves the latest alone.
        try store.logBatch(runID: runID, metrics: [Metric(key: "m", value: 100, timestamp: 1, step: 5)], params: [], tags: [])
        #expect(try store.run(id: runID).metric("m")?.value == 0.5)
    }

    @Test func latestFollowsTheVerifiedExample() throws {
        try fixture.logMetric(runID, "m", 1.5, timestamp: 1_700_000_000_001, step: 0)
        try fixture.logMetric(runID, "m", 0.5, timestamp: 1_700_000_000_000, step: 5)
        try fixture.logMetric(runID, "m", 9.0, timestamp: 1_700_000_009_999, step: 4)
        let latest = try #require(try store.run(id: runID).metric("m"))
        #expect(latest == Metric(key: "m", value: 0.5, timestamp: 1_700_000_000_000, step: 5))
    }

    @Test func latestAtTheSameStepIsTheLaterTimestamp() throws {
        try fixture.logMetric(runID, "m", 7, timestamp: 20, step: 1)
        try fixture.logMetric(runID, "m", 3, timestamp: 10, step: 1)
        #expect(try store.run(id: runID).metric("m")?.value == 7)
    }

    @Test func latestAtTheSameStepAndTimestampIsTheLargerValue() throws {
        try fixture.logMetric(runID, "m", 3, timestamp: 10, step: 1)
        try fixture.logMetric(runID, "m", 2, timestamp: 10, step: 1)
        #expect(try store.run(id: runID).metric("m")?.value == 3)
    }

    @Test func nanRanksAsZeroAgainstNegativeValues() throws {
        try fixture.logMetric(runID, "m", -1, timestamp: 10, step: 1)
        try fixture.logMetric(runID, "m", .nan, timestamp: 10, step: 1)
        #expect(try store.run(id: runID).metric("m")?.value.isNaN == true)
    }

    @Test func nanRanksAsZeroAgainstPositiveValues() throws {
        try fixture.logMetric(runID, "m", .nan, timestamp: 10, step: 1)
        try fixture.logMetric(runID, "m", 1, timestamp: 10, step: 1)
        #expect(try store.run(id: runID).metric("m")?.value == 1)
    }

    @Test func eachKeyHasItsOwnLatestValue() throws {
        try fixture.logMetric(runID, "a", 1, timestamp: 1)
        try fixture.logMetric(runID, "b", 2, timestamp: 1)
        let metrics = try store.run(id: runID).metrics
        #expect(metrics.count == 2)
        #expect(metrics.first { $0.key == "a" }?.value == 1)
        #expect(metrics.first { $0.key == "b" }?.value == 2)
    }

    @Test func anIdenticalPointIsStoredOnce() throws {
        try fixture.logMetric(runID, "m", 1, timestamp: 5, step: 2)
        try fixture.logMetric(runID, "m", 1, timestamp: 5, step: 2)
        #expect(try fixture.history(runID, "m").count == 1)
    }

    @Test func pointsDifferingOnlyInValueAreBothStored() throws {
        try fixture.logMetric(runID, "m", 1, timestamp: 5, step: 2)
        try fixture.logMetric(runID, "m", 2, timestamp: 5, step: 2)
        #expect(try fixture.history(runID, "m").map(\.value) == [1, 2])
    }

    @Test func identicalNaNPointIsStoredOnce() throws {
        try fixture.logMetric(runID, "m", .nan, timestamp: 5)
        try fixture.logMetric(runID, "m", .nan, timestamp: 5)
        #expect(try fixture.history(runID, "m").count == 1)
    }

    @Test func nanIsDistinctFromZero() throws {
        try fixture.logMetric(runID, "m", .nan, timestamp: 5)
        try fixture.logMetric(runID, "m", 0, timestamp: 5)
        let values = try fixture.history(runID, "m").map(\.value)
        #expect(values.count == 2)
        #expect(values.contains { $0.isNaN })
        #expect(values.contains(0))
    }

    @Test func nanRoundTrips() throws {
        try fixture.logMetric(runID, "m", .nan, timestamp: 5)
        let history = try fixture.history(runID, "m")
        #expect(history.count == 1)
        #expect(history[0].value.isNaN)
        #expect(try store.run(id: runID).metric("m")?.value.isNaN == true)
    }

    @Test func positiveInfinityIsStoredAsMaxDouble() throws {
        try fixture.logMetric(runID, "m", .infinity, timestamp: 5)
        #expect(try fixture.history(runID, "m").map(\.value) == [1.7976931348623157e308])
        #expect(try store.run(id: runID).metric("m")?.value == 1.7976931348623157e308)
    }

    @Test func negativeInfinityIsStoredAsMinusMaxDouble() throws {
        try fixture.logMetric(runID, "m", -.infinity, timestamp: 5)
        #expect(try fixture.history(runID, "m").map(\.value) == [-1.7976931348623157e308])
    }

    @Test func negativeStepsAreAllowed() throws {
        try fixture.logMetric(runID, "m", 1, timestamp: 5, step: -3)
        #expect(try fixture.history(runID, "m").first?.step == -3)
    }

    @Test func negativeTimestampIsRejected() {
        expectMLflowError(.invalidParameterValue) { try fixture.logMetric(runID, "m", 1, timestamp: -1) }
    }

    @Test func invalidKeyIsRejected() throws {
        expectMLflowError(.invalidParameterValue, containing: "bad#key") { try fixture.logMetric(runID, "bad#key", 1, timestamp: 1) }
        #expect(try store.run(id: runID).metrics.isEmpty)
    }

    @Test func extremeValuesRoundTrip() throws {
        let values: [Double] = [0, -0.0, 1e-300, Double.leastNonzeroMagnitude, 123_456.789, -2.5, Double.greatestFiniteMagnitude]
        for (index, value) in values.enumerated() {
            try fixture.logMetric(runID, "m", value, timestamp: Int64(index))
        }
        #expect(try fixture.history(runID, "m").map(\.value) == values)
    }
}
