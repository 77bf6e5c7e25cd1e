import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Experiments in the SQLite store (contract §6.1, §6.2, §7).
struct ExperimentStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }

    init() throws { fixture = try StoreFixture() }

    @Test func newDatabaseHasTheDefaultExperiment() throws {
        let experiment = try store.experiment(id: "0")
        #expect(experiment.name == "Default")
        #expect(experiment.lifecycleStage == .active)
        #expect(experiment.artifactLocation == "mlflow-artifacts:/0")
        #expect(experiment.tags.isEmpty)
    }

    @Test func defaultExperimentIsFoundByName() throws {
        #expect(try store.experiment(named: "Default").experimentID == "0")
    }

    @Test func experimentIDsCountUpFromOne() throws {
        #expect(try store.createExperiment(name: "a", artifactLocation: nil, tags: []) == "1")
        #expect(try store.createExperiment(name: "b", artifactLocation: nil, tags: []) == "2")
    }

    @Test func createdExperimentReadsBack() throws {
        let id = try store.createExperiment(name: "exp", artifactLocation: nil, tags: [ExperimentTag(key: "team", value: "a")])
        let experiment = try store.experiment(id: id)
        #expect(experiment.experimentID == id)
        #expect(experiment.name == "exp")
        #expect(experiment.lifecycleStage == .active)
        #expect(experiment.artifactLocation == "mlflow-artifacts:/\(id)")
        #expect(experiment.tags == [ExperimentTag(key: "team", value: "a")])
        #expect(experiment.creationTime > 0)
        #expect(experiment.lastUpdateTime == experiment.creationTime)
    }

    @Test func givenArtifactLocationIsStoredAsIs() throws {
        let id = try store.createExperiment(name: "exp", artifactLocation: "s3://bucket/path", tags: [])
        #expect(try store.experiment(id: id).artifactLocation == "s3://bucket/path")
    }

    @Test func artifactLocationOf2048CharactersIsAccepted() throws {
        let location = "s3://" + String(repeating: "a", count: 2043)
        let id = try store.createExperiment(name: "long location", artifactLocation: location, tags: [])
        #expect(try store.experiment(id: id).artifactLocation == location)
    }

    @Test func artifactLocationOver2048CharactersIsRejected() {
        expectMLflowError(.invalidParameterValue) {
            try store.createExperiment(name: "too long", artifactLocation: "s3://" + String(repeating: "a", count: 2044), tags: [])
        }
    }

    @Test func experimentIsFoundByName() throws {
        let id = try store.createExperiment(name: "by name", artifactLocation: nil, tags: [])
        #expect(try store.experiment(named: "by name").experimentID == id)
    }

    @Test func unknownNameIsResourceDoesNotExist() {
        expectMLflowError(.resourceDoesNotExist, containing: "Could not find experiment with name 'nope'") {
            try store.experiment(named: "nope")
        }
    }

    @Test func unknownIDIsResourceDoesNotExist() {
        expectMLflowError(.resourceDoesNotExist, containing: "No Experiment with id=999 exists") {
            try store.experiment(id: "999")
        }
    }

    @Test func nonIntegerIDIsInvalid() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid experiment ID 'abc'") {
            try store.experiment(id: "abc")
        }
    }

    @Test func duplicateNameIsResourceAlreadyExists() throws {
        _ = try store.createExperiment(name: "dup", artifactLocation: nil, tags: [])
        expectMLflowError(.resourceAlreadyExists) {
            try store.createExperiment(name: "dup", artifactLocation: nil, tags: [])
        }
    }

    @Test func nameOfADeletedExperimentIsStillTaken() throws {
        let id = try store.createExperiment(name: "gone", artifactLocation: nil, tags: [])
        try store.deleteExperiment(id: id)
        expectMLflowError(.resourceAlreadyExists) {
            try store.createExperiment(name: "gone", artifactLocation: nil, tags: [])
        }
    }

    @Test func blankNameIsRejected() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid experiment name") {
            try store.createExperiment(name: "  ", artifactLocation: nil, tags: [])
        }
    }

    @Test func invalidTagKeyRejectsTheWholeCreate() throws {
        expectMLflowError(.invalidParameterValue) {
            try store.createExperiment(name: "tagged", artifactLocation: nil, tags: [ExperimentTag(key: "bad#key", value: "v")])
        }
        expectMLflowError(.resourceDoesNotExist) { try store.experiment(named: "tagged") }
    }

    @Test func renameChangesNameAndLastUpdateTime() throws {
        let id = try store.createExperiment(name: "old", artifactLocation: nil, tags: [])
        let before = try store.experiment(id: id)
        fixture.clock.advance(by: 1000)
        try store.renameExperiment(id: id, newName: "new")
        let after = try store.experiment(id: id)
        #expect(after.name == "new")
        #expect(after.lastUpdateTime > before.lastUpdateTime)
        #expect(after.creationTime == before.creationTime)
        #expect(try store.experiment(named: "new").experimentID == id)
        expectMLflowError(.resourceDoesNotExist) { try store.experiment(named: "old") }
    }

    @Test func renameToATakenNameIsA400() throws {
        let id = try store.createExperiment(name: "one", artifactLocation: nil, tags: [])
        _ = try store.createExperiment(name: "two", artifactLocation: nil, tags: [])
        let error = expectMLflowError(.badRequest) { try store.renameExperiment(id: id, newName: "two") }
        #expect(error?.code.httpStatus == 400)
        #expect(try store.experiment(id: id).name == "one")
    }

    @Test func renameOfADeletedExperimentIsAClientError() throws {
        let id = try store.createExperiment(name: "deleted", artifactLocation: nil, tags: [])
        try store.deleteExperiment(id: id)
        let error = #expect(throws: MLflowError.self) { try store.renameExperiment(id: id, newName: "other") }
        // MLflow answers 500 INVALID_STATE, which clients retry for minutes; a 4xx is required here.
        #expect((error?.code.httpStatus ?? 500) < 500)
    }

    @Test func renameOfAnUnknownExperimentIs404() {
        expectMLflowError(.resourceDoesNotExist) { try store.renameExperiment(id: "42", newName: "x") }
    }

    @Test func deleteMarksDeletedAndBumpsLastUpdateTime() throws {
        let id = try store.createExperiment(name: "del", artifactLocation: nil, tags: [])
        let before = try store.experiment(id: id)
        fixture.clock.advance(by: 1000)
        try store.deleteExperiment(id: id)
        let after = try store.experiment(id: id)
        #expect(after.lifecycleStage == .deleted)
        #expect(after.lastUpdateTime > before.lastUpdateTime)
        #expect(try store.experiment(named: "del").lifecycleStage == .deleted)
    }

    @Test func deletingTwiceIs404() throws {
        let id = try store.createExperiment(name: "del", artifactLocation: nil, tags: [])
        try store.deleteExperiment(id: id)
        expectMLflowError(.resourceDoesNotExist) { try store.deleteExperiment(id: id) }
    }

    @Test func deletingAnUnknownExperimentIs404() {
        expectMLflowError(.resourceDoesNotExist) { try store.deleteExperiment(id: "77") }
    }

    @Test func restoreMakesActiveAgain() throws {
        let id = try store.createExperiment(name: "back", artifactLocation: nil, tags: [])
        try store.deleteExperiment(id: id)
        try store.restoreExperiment(id: id)
        #expect(try store.experiment(id: id).lifecycleStage == .active)
    }

    @Test func restoreBumpsLastUpdateTime() throws {
        let id = try store.createExperiment(name: "back", artifactLocation: nil, tags: [])
        try store.deleteExperiment(id: id)
        let deleted = try store.experiment(id: id)
        fixture.clock.advance(by: 1000)
        try store.restoreExperiment(id: id)
        #expect(try store.experiment(id: id).lastUpdateTime > deleted.lastUpdateTime)
    }

    @Test func restoringAnActiveExperimentIs404() throws {
        let id = try store.createExperiment(name: "active", artifactLocation: nil, tags: [])
        expectMLflowError(.resourceDoesNotExist) { try store.restoreExperiment(id: id) }
    }

    @Test func defaultExperimentCanBeDeletedAndRestored() throws {
        try store.deleteExperiment(id: "0")
        #expect(try store.experiment(id: "0").lifecycleStage == .deleted)
        try store.restoreExperiment(id: "0")
        #expect(try store.experiment(id: "0").lifecycleStage == .active)
    }

    @Test func deleteCascadesToRuns() throws {
        let id = try store.createExperiment(name: "cascade", artifactLocation: nil, tags: [])
        let first = try fixture.makeRun(experimentID: id)
        let second = try fixture.makeRun(experimentID: id)
        let elsewhere = try fixture.makeRun(experimentID: "0")
        try store.deleteExperiment(id: id)
        #expect(try store.run(id: first.info.runID).info.lifecycleStage == .deleted)
        #expect(try store.run(id: second.info.runID).info.lifecycleStage == .deleted)
        #expect(try store.run(id: elsewhere.info.runID).info.lifecycleStage == .active)
    }

    @Test func restoreRestoresItsRuns() throws {
        let id = try store.createExperiment(name: "cascade", artifactLocation: nil, tags: [])
        let run = try fixture.makeRun(experimentID: id)
        try store.deleteExperiment(id: id)
        try store.restoreExperiment(id: id)
        #expect(try store.run(id: run.info.runID).info.lifecycleStage == .active)
    }

    @Test func createRunInADeletedExperimentIsRejected() throws {
        let id = try store.createExperiment(name: "closed", artifactLocation: nil, tags: [])
        try store.deleteExperiment(id: id)
        expectMLflowError(.invalidParameterValue) { try fixture.makeRun(experimentID: id) }
    }
}
