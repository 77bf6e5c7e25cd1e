import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// log-batch: all or nothing, limits (contract §5.2, §6.3, §8).
struct LogBatchStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let runID: String

    init() throws {
        fixture = try StoreFixture()
        runID = try fixture.makeRun(name: "batch").info.runID
    }

    private func metric(_ key: String, _ value: Double = 1) -> Metric {
        Metric(key: key, value: value, timestamp: 1_700_000_000_000, step: 0)
    }

    @Test func writesMetricsParamsAndTags() throws {
        try store.logBatch(
            runID: runID, metrics: [metric("m1", 1), metric("m2", 2)],
            params: [Param(key: "p", value: "v")], tags: [RunTag(key: "t", value: "w")])
        let run = try store.run(id: runID)
        #expect(run.metrics.map(\.key) == ["m1", "m2"])
        #expect(run.params == [Param(key: "p", value: "v")])
        #expect(run.tag("t") == "w")
    }

    @Test func emptyBatchSucceeds() throws {
        try store.logBatch(runID: runID, metrics: [], params: [], tags: [])
    }

    @Test func unknownRunIs404() {
        expectMLflowError(.resourceDoesNotExist) {
            try store.logBatch(runID: "nope", metrics: [metric("m")], params: [], tags: [])
        }
    }

    @Test func paramConflictWritesNoneOfTheBatch() throws {
        try store.logParam(runID: runID, param: Param(key: "lr", value: "0.1"))
        expectMLflowError(.invalidParameterValue) {
            try store.logBatch(
                runID: runID, metrics: [metric("m")],
                params: [Param(key: "fresh", value: "1"), Param(key: "lr", value: "0.2")],
                tags: [RunTag(key: "t", value: "v"), RunTag(key: "mlflow.runName", value: "renamed")])
        }
        let run = try store.run(id: runID)
        #expect(run.metrics.isEmpty)
        #expect(try fixture.history(runID, "m").isEmpty)
        #expect(run.params == [Param(key: "lr", value: "0.1")])
        #expect(run.tag("t") == nil)
        #expect(run.info.runName == "batch")
    }

    @Test func invalidMetricWritesNoneOfTheBatch() throws {
        expectMLflowError(.invalidParameterValue) {
            try store.logBatch(
                runID: runID, metrics: [metric("ok"), metric("bad#key")],
                params: [Param(key: "p", value: "1")], tags: [RunTag(key: "t", value: "v")])
        }
        let run = try store.run(id: runID)
        #expect(run.metrics.isEmpty && run.params.isEmpty && run.tag("t") == nil)
    }

    @Test func invalidTagWritesNoneOfTheBatch() throws {
        expectMLflowError(.invalidParameterValue) {
            try store.logBatch(
                runID: runID, metrics: [metric("m")], params: [Param(key: "p", value: "1")],
                tags: [RunTag(key: "/abs", value: "v")])
        }
        let run = try store.run(id: runID)
        #expect(run.metrics.isEmpty && run.params.isEmpty)
    }

    @Test func negativeTimestampWritesNoneOfTheBatch() throws {
        expectMLflowError(.invalidParameterValue) {
            try store.logBatch(
                runID: runID, metrics: [metric("a"), Metric(key: "b", value: 1, timestamp: -5, step: 0)],
                params: [], tags: [RunTag(key: "t", value: "v")])
        }
        let run = try store.run(id: runID)
        #expect(run.metrics.isEmpty && run.tag("t") == nil)
    }

    @Test func duplicateParamKeysAreRejected() throws {
        expectMLflowError(.invalidParameterValue, containing: "Duplicate parameter keys have been submitted: ['d']") {
            try store.logBatch(runID: runID, metrics: [metric("m")], params: [Param(key: "d", value: "1"), Param(key: "d", value: "1")], tags: [])
        }
        #expect(try store.run(id: runID).metrics.isEmpty)
    }

    @Test func exactly1000MetricsAreAccepted() throws {
        let metrics = (0..<1000).map { Metric(key: "m", value: Double($0), timestamp: Int64($0), step: Int64($0)) }
        try store.logBatch(runID: runID, metrics: metrics, params: [], tags: [])
        #expect(try fixture.history(runID, "m").count == 1000)
        #expect(try store.run(id: runID).metric("m")?.value == 999)
    }

    @Test func metricsOverTheLimitWriteNothing() throws {
        let metrics = (0..<1001).map { metric("m\($0)") }
        expectMLflowError(.invalidParameterValue, containing: "1000") {
            try store.logBatch(runID: runID, metrics: metrics, params: [], tags: [])
        }
        #expect(try store.run(id: runID).metrics.isEmpty)
    }

    @Test func exactly100ParamsAnd100TagsAreAccepted() throws {
        try store.logBatch(
            runID: runID, metrics: [],
            params: (0..<100).map { Param(key: "p\($0)", value: "v") },
            tags: (0..<100).map { RunTag(key: "t\($0)", value: "v") })
        let run = try store.run(id: runID)
        #expect(run.params.count == 100)
        #expect(run.tags.filter { $0.key.hasPrefix("t") }.count == 100)
    }

    @Test func paramsOverTheLimitAreRejected() {
        expectMLflowError(.invalidParameterValue, containing: "at most 100 params") {
            try store.logBatch(runID: runID, metrics: [], params: (0..<101).map { Param(key: "p\($0)", value: "v") }, tags: [])
        }
    }

    @Test func tagsOverTheLimitAreRejected() {
        expectMLflowError(.invalidParameterValue, containing: "at most 100 tags") {
            try store.logBatch(runID: runID, metrics: [], params: [], tags: (0..<101).map { RunTag(key: "t\($0)", value: "v") })
        }
    }

    @Test func runNameTagInABatchRenamesTheRun() throws {
        try store.logBatch(runID: runID, metrics: [], params: [], tags: [RunTag(key: "mlflow.runName", value: "via-batch")])
        #expect(try store.run(id: runID).info.runName == "via-batch")
    }

    @Test func longValuesInABatchAreTruncated() throws {
        try store.logBatch(
            runID: runID, metrics: [], params: [Param(key: "p", value: String(repeating: "a", count: 7000))],
            tags: [RunTag(key: "t", value: String(repeating: "b", count: 9000))])
        let run = try store.run(id: runID)
        #expect(run.param("p")?.count == 6000)
        #expect(run.tag("t")?.count == 8000)
    }
}
