import MLflowCore
import MLflowTestSupport
import Testing
@testable import TrackingStore

/// MLflow 3 logged models (contract §12).
@Suite struct LoggedModelStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }

    init() throws { fixture = try StoreFixture() }

    @Test func createGivesAPendingModelUnderTheExperiment() throws {
        let run = try fixture.makeRun()
        let model = try store.createLoggedModel(
            NewLoggedModel(experimentID: "0", name: "clf", modelType: "sklearn", sourceRunID: run.info.runID, params: [KeyValue(key: "a", value: "1")], tags: [KeyValue(key: "t", value: "v")]))
        #expect(model.modelID.hasPrefix("m-") && model.modelID.count == 34)
        #expect(model.status == .pending)
        #expect(model.artifactLocation == "mlflow-artifacts:/0/models/\(model.modelID)/artifacts")
        #expect(model.params == [KeyValue(key: "a", value: "1")])
        #expect(try store.loggedModel(id: model.modelID) == model)
    }

    @Test(arguments: ["a/b", "a.b", "a:b", "50%", "it's", "say \"x\""])
    func namesWithPathLikeCharactersAreRefused(_ name: String) {
        expectMLflowError(.invalidParameterValue, containing: "Invalid model name") {
            try store.createLoggedModel(NewLoggedModel(experimentID: "0", name: name))
        }
    }

    @Test func unknownModelAndUnknownSourceRunAre404() {
        expectMLflowError(.resourceDoesNotExist) { try store.loggedModel(id: "m-nope") }
        expectMLflowError(.resourceDoesNotExist) { try store.createLoggedModel(NewLoggedModel(experimentID: "0", sourceRunID: "nope")) }
    }

    @Test func finalizeTagsParamsAndDelete() throws {
        let id = try store.createLoggedModel(NewLoggedModel(experimentID: "0", name: "m")).modelID
        #expect(try store.finalizeLoggedModel(id: id, status: .ready).status == .ready)
        #expect(try store.setLoggedModelTags(id: id, tags: [KeyValue(key: "k", value: "1"), KeyValue(key: "k", value: "2")]).tags == [KeyValue(key: "k", value: "2")])
        try store.deleteLoggedModelTag(id: id, key: "k")
        expectMLflowError(.resourceDoesNotExist) { try store.deleteLoggedModelTag(id: id, key: "k") }
        try store.logLoggedModelParams(id: id, params: [KeyValue(key: "p", value: "x")])
        #expect(try store.loggedModel(id: id).params == [KeyValue(key: "p", value: "x")])
        try store.deleteLoggedModel(id: id)
        #expect(try store.searchLoggedModels(LoggedModelSearchRequest(experimentIDs: ["0"])).items.isEmpty)
        expectMLflowError(.resourceDoesNotExist) { try store.loggedModel(id: id) }
        #expect(try store.loggedModel(id: id, allowDeleted: true).lifecycleStage == .deleted)
    }

    @Test func searchByNameTagSourceRunAndOrder() throws {
        let run = try fixture.makeRun()
        let a = try store.createLoggedModel(NewLoggedModel(experimentID: "0", name: "alpha", sourceRunID: run.info.runID, tags: [KeyValue(key: "stage", value: "prod")]))
        fixture.clock.advance(by: 10)
        let b = try store.createLoggedModel(NewLoggedModel(experimentID: "0", name: "beta"))
        func names(_ filter: String?, orderBy: [(field: String, ascending: Bool)] = []) throws -> [String] {
            try store.searchLoggedModels(LoggedModelSearchRequest(experimentIDs: ["0"], filter: filter, orderBy: orderBy)).items.map(\.name)
        }
        #expect(try names(nil) == ["beta", "alpha"])
        #expect(try names("name = 'alpha'") == ["alpha"])
        #expect(try names("tags.stage = 'prod'") == ["alpha"])
        #expect(try names("name = 'alpha' AND source_run_id = '\(run.info.runID)'") == ["alpha"])
        #expect(try names("status = 'LOGGED_MODEL_PENDING'") == ["beta", "alpha"])
        #expect(try names(nil, orderBy: [("name", true)]) == ["alpha", "beta"])
        #expect(try names("model_id IN ('\(a.modelID)', '\(b.modelID)')").count == 2)
        expectMLflowError(.invalidParameterValue) { try names("metrics.acc > 1") }
    }

    @Test func runOutputsAndModelInputs() throws {
        let run = try fixture.makeRun()
        let model = try store.createLoggedModel(NewLoggedModel(experimentID: "0", name: "m", sourceRunID: run.info.runID))
        try store.logOutputs(runID: run.info.runID, models: [ModelOutput(modelID: model.modelID, step: 3)])
        try store.logOutputs(runID: run.info.runID, models: [ModelOutput(modelID: model.modelID, step: 4)])
        try store.logInputs(runID: run.info.runID, datasets: [], models: [model.modelID])
        let loaded = try store.run(id: run.info.runID)
        #expect(loaded.modelOutputs == [ModelOutput(modelID: model.modelID, step: 4)])
        #expect(loaded.modelInputs == [model.modelID])
        expectMLflowError(.resourceDoesNotExist) { try store.logOutputs(runID: run.info.runID, models: [ModelOutput(modelID: "m-x", step: 0)]) }
    }

    @Test func legacyLogModelAppendsToTheHistoryTag() throws {
        let run = try fixture.makeRun()
        try store.appendLoggedModelHistory(runID: run.info.runID, modelJSON: #"{"artifact_path": "a"}"#)
        try store.appendLoggedModelHistory(runID: run.info.runID, modelJSON: #"{"artifact_path": "b"}"#)
        #expect(try store.run(id: run.info.runID).tag("mlflow.log-model.history") == #"[{"artifact_path": "a"}, {"artifact_path": "b"}]"#)
    }

    @Test func aVersionOneDatabaseIsUpgradedKeepingItsRuns() throws {
        let database = try TemporaryDatabase()
        do {
            // A database as version 1 wrote it: only the first migration applied.
            let connection = try SQLiteConnection(path: database.path)
            try connection.execute(Schema.migrations[0])
            try connection.execute("INSERT INTO experiments VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', 1, 1)")
            try connection.execute("INSERT INTO runs VALUES (1, 'r1', 0, 'old', '', 1, 0, NULL, 'mlflow-artifacts:/0/r1/artifacts', 'active')")
            try connection.execute("PRAGMA user_version = 1")
        }
        let store = try database.openStore()
        #expect(try store.run(id: "r1").info.runName == "old")
        #expect(try store.createLoggedModel(NewLoggedModel(experimentID: "0", name: "new")).name == "new")
    }
}
