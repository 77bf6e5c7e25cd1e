import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Creating, reading and updating runs (contract §6.6, §8).
struct RunStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }

    init() throws { fixture = try StoreFixture() }

    @Test func newRunHasMLflowsDefaults() throws {
        let run = try store.createRun(NewRun(experimentID: "0"))
        #expect(run.info.status == .running)
        #expect(run.info.lifecycleStage == .active)
        #expect(run.info.startTime == 0)
        #expect(run.info.userID == "")
        #expect(run.info.endTime == nil)
        #expect(run.info.experimentID == "0")
        #expect(run.metrics.isEmpty && run.params.isEmpty)
    }

    @Test func runIDIs32LowercaseHexCharacters() throws {
        let id = try fixture.makeRun().info.runID
        #expect(id.count == 32)
        #expect(id.allSatisfy { "0123456789abcdef".contains($0) }, "\(id)")
    }

    @Test func runIDsAreUnique() throws {
        let ids = try (0..<20).map { _ in try fixture.makeRun().info.runID }
        #expect(Set(ids).count == 20)
    }

    @Test func artifactURIIsUnderTheExperimentLocation() throws {
        let run = try fixture.makeRun()
        #expect(run.info.artifactURI == "mlflow-artifacts:/0/\(run.info.runID)/artifacts")
    }

    @Test func runWithoutANameGetsAGeneratedNameAndTag() throws {
        let run = try fixture.makeRun()
        let parts = run.info.runName.split(separator: "-")
        #expect(parts.count == 3 && Int(parts[2]) != nil, "\(run.info.runName)")
        #expect(run.info.runName.count <= 20)
        #expect(run.tag("mlflow.runName") == run.info.runName)
    }

    @Test func runNameArgumentAddsTheTag() throws {
        let run = try fixture.makeRun(name: "named")
        #expect(run.info.runName == "named")
        #expect(run.tag("mlflow.runName") == "named")
        #expect(try store.run(id: run.info.runID).tag("mlflow.runName") == "named")
    }

    @Test func runNameIsTakenFromTheTag() throws {
        let run = try fixture.makeRun(tags: [RunTag(key: "mlflow.runName", value: "from-tag")])
        #expect(run.info.runName == "from-tag")
        #expect(try store.run(id: run.info.runID).info.runName == "from-tag")
    }

    @Test func sameNameInArgumentAndTagIsFine() throws {
        let run = try fixture.makeRun(name: "same", tags: [RunTag(key: "mlflow.runName", value: "same")])
        #expect(run.info.runName == "same")
        #expect(run.tags.filter { $0.key == "mlflow.runName" }.count == 1)
    }

    @Test func differentNamesInArgumentAndTagAreA400() {
        expectMLflowError(.invalidParameterValue, containing: "Both 'run_name' argument and 'mlflow.runName' tag are specified") {
            try fixture.makeRun(name: "a", tags: [RunTag(key: "mlflow.runName", value: "b")])
        }
    }

    @Test func creationTagsAndFieldsAreStored() throws {
        let created = try store.createRun(
            NewRun(experimentID: "0", userID: "alice", startTime: 1_700_000_000_123, tags: [RunTag(key: "mlflow.user", value: "alice")]))
        let run = try store.run(id: created.info.runID)
        #expect(run.info.userID == "alice")
        #expect(run.info.startTime == 1_700_000_000_123)
        #expect(run.tag("mlflow.user") == "alice")
        #expect(run.info == created.info)
    }

    @Test func creationTagsAreValidated() {
        expectMLflowError(.invalidParameterValue) {
            try fixture.makeRun(tags: [RunTag(key: "bad#key", value: "v")])
        }
    }

    @Test func unknownExperimentIs404() {
        expectMLflowError(.resourceDoesNotExist, containing: "No Experiment with id=999 exists") {
            try fixture.makeRun(experimentID: "999")
        }
    }

    @Test func nonIntegerExperimentIs400() {
        expectMLflowError(.invalidParameterValue) { try fixture.makeRun(experimentID: "abc") }
    }

    @Test func deletedExperimentIs400() throws {
        let id = try store.createExperiment(name: "closed", artifactLocation: nil, tags: [])
        try store.deleteExperiment(id: id)
        expectMLflowError(.invalidParameterValue) { try fixture.makeRun(experimentID: id) }
    }

    @Test func unknownRunIs404() {
        expectMLflowError(.resourceDoesNotExist, containing: "Run with id=nope not found") {
            try store.run(id: "nope")
        }
    }

    @Test func updateSetsStatusAndEndTime() throws {
        let id = try fixture.makeRun().info.runID
        let info = try store.updateRun(id: id, status: .finished, endTime: 1_700_000_001_000, runName: nil)
        #expect(info.status == .finished)
        #expect(info.endTime == 1_700_000_001_000)
        #expect(try store.run(id: id).info == info)
    }

    @Test func updateWithOnlyARunNameRenamesRunAndTag() throws {
        let id = try fixture.makeRun(name: "before").info.runID
        let info = try store.updateRun(id: id, status: nil, endTime: nil, runName: "after")
        #expect(info.runName == "after")
        #expect(info.status == .running)
        let run = try store.run(id: id)
        #expect(run.info.runName == "after")
        #expect(run.tag("mlflow.runName") == "after")
    }

    @Test func updateToRunningKeepsTheEndTime() throws {
        let id = try fixture.makeRun().info.runID
        _ = try store.updateRun(id: id, status: .finished, endTime: 5000, runName: nil)
        let info = try store.updateRun(id: id, status: .running, endTime: nil, runName: nil)
        #expect(info.status == .running)
        #expect(info.endTime == 5000)
    }

    @Test func updateWithNothingChangesNothing() throws {
        let run = try fixture.makeRun(name: "still")
        let info = try store.updateRun(id: run.info.runID, status: nil, endTime: nil, runName: nil)
        #expect(info == run.info)
    }

    @Test func updateOfAnUnknownRunIs404() {
        expectMLflowError(.resourceDoesNotExist) { try store.updateRun(id: "nope", status: .finished, endTime: nil, runName: nil) }
    }

    @Test func finishedRunStillAcceptsWrites() throws {
        let id = try fixture.makeRun().info.runID
        _ = try store.updateRun(id: id, status: .finished, endTime: 10, runName: nil)
        try fixture.logMetric(id, "m", 1, timestamp: 11)
        try store.logParam(runID: id, param: Param(key: "p", value: "1"))
        try fixture.setTag(id, "t", "v")
        let run = try store.run(id: id)
        #expect(run.metric("m")?.value == 1)
        #expect(run.param("p") == "1")
        #expect(run.tag("t") == "v")
    }
}
