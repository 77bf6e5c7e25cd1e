import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Deleting and restoring runs, and writes to deleted runs (contract §6.2).
struct RunLifecycleStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let runID: String

    init() throws {
        fixture = try StoreFixture()
        runID = try fixture.makeRun().info.runID
    }

    @Test func deleteMarksTheRunDeletedAndItStaysReadable() throws {
        try store.deleteRun(id: runID)
        #expect(try store.run(id: runID).info.lifecycleStage == .deleted)
    }

    @Test func deletingTwiceSucceeds() throws {
        try store.deleteRun(id: runID)
        try store.deleteRun(id: runID)
        #expect(try store.run(id: runID).info.lifecycleStage == .deleted)
    }

    @Test func restoreMakesTheRunActive() throws {
        try store.deleteRun(id: runID)
        try store.restoreRun(id: runID)
        #expect(try store.run(id: runID).info.lifecycleStage == .active)
    }

    @Test func restoringAnActiveRunSucceeds() throws {
        try store.restoreRun(id: runID)
        #expect(try store.run(id: runID).info.lifecycleStage == .active)
    }

    @Test func deletingAnUnknownRunIs404() {
        expectMLflowError(.resourceDoesNotExist) { try store.deleteRun(id: "nope") }
    }

    @Test func restoringAnUnknownRunIs404() {
        expectMLflowError(.resourceDoesNotExist) { try store.restoreRun(id: "nope") }
    }

    @Test func deleteKeepsTheRunsData() throws {
        try fixture.logMetric(runID, "m", 2, timestamp: 1)
        try store.deleteRun(id: runID)
        try store.restoreRun(id: runID)
        #expect(try store.run(id: runID).metric("m")?.value == 2)
    }

    enum Write: String, CaseIterable, CustomTestStringConvertible {
        case logMetric, logParam, setTag, deleteTag, logBatch, update, logInputs
        var testDescription: String { rawValue }
    }

    @Test(arguments: Write.allCases)
    func writesToADeletedRunAreRejected(write: Write) throws {
        try fixture.setTag(runID, "existing", "v")
        try store.deleteRun(id: runID)
        expectMLflowError(
            .invalidParameterValue, containing: "The run \(runID) must be in the 'active' state. Current state is deleted."
        ) {
            switch write {
            case .logMetric: try fixture.logMetric(runID, "m", 1, timestamp: 1)
            case .logParam: try store.logParam(runID: runID, param: Param(key: "p", value: "1"))
            case .setTag: try fixture.setTag(runID, "t", "v")
            case .deleteTag: try store.deleteTag(runID: runID, key: "existing")
            case .logBatch:
                try store.logBatch(
                    runID: runID, metrics: [Metric(key: "m", value: 1, timestamp: 1, step: 0)],
                    params: [Param(key: "p", value: "1")], tags: [])
            case .update: _ = try store.updateRun(id: runID, status: .finished, endTime: 1, runName: nil)
            case .logInputs:
                try store.logInputs(
                    runID: runID,
                    datasets: [DatasetInput(tags: [], dataset: Dataset(name: "d", digest: "1", sourceType: "local", source: "{}", schema: nil, profile: nil))])
            }
        }
        let run = try store.run(id: runID)
        #expect(run.metrics.isEmpty && run.params.isEmpty && run.datasetInputs.isEmpty)
        #expect(run.tag("existing") == "v")
        #expect(run.info.status == .running)
    }

    @Test func writesToAnUnknownRunAre404() {
        expectMLflowError(.resourceDoesNotExist, containing: "Run with id=nope not found") {
            try fixture.logMetric("nope", "m", 1, timestamp: 1)
        }
        expectMLflowError(.resourceDoesNotExist) { try store.logParam(runID: "nope", param: Param(key: "p", value: "1")) }
    }
}
