import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Experiment tags: upsert, delete, lifecycle (contract §6.3, §7).
struct ExperimentTagStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let id: String

    init() throws {
        fixture = try StoreFixture()
        id = try fixture.store.createExperiment(name: "tags", artifactLocation: nil, tags: [])
    }

    @Test func setTagIsReadBack() throws {
        try store.setExperimentTag(id: id, tag: ExperimentTag(key: "team", value: "a"))
        #expect(try store.experiment(id: id).tags == [ExperimentTag(key: "team", value: "a")])
    }

    @Test func settingAgainOverwrites() throws {
        try store.setExperimentTag(id: id, tag: ExperimentTag(key: "team", value: "a"))
        try store.setExperimentTag(id: id, tag: ExperimentTag(key: "team", value: "b"))
        #expect(try store.experiment(id: id).tags == [ExperimentTag(key: "team", value: "b")])
    }

    @Test func deleteRemovesTheTag() throws {
        try store.setExperimentTag(id: id, tag: ExperimentTag(key: "team", value: "a"))
        try store.setExperimentTag(id: id, tag: ExperimentTag(key: "keep", value: "k"))
        try store.deleteExperimentTag(id: id, key: "team")
        #expect(try store.experiment(id: id).tags == [ExperimentTag(key: "keep", value: "k")])
    }

    @Test func deletingAMissingTagIs404() {
        expectMLflowError(.resourceDoesNotExist, containing: "No tag with name: k in experiment with id \(id)") {
            try store.deleteExperimentTag(id: id, key: "k")
        }
    }

    @Test func taggingADeletedExperimentIsRejected() throws {
        try store.deleteExperiment(id: id)
        expectMLflowError(.invalidParameterValue) {
            try store.setExperimentTag(id: id, tag: ExperimentTag(key: "k", value: "v"))
        }
    }

    @Test func untaggingADeletedExperimentIsRejected() throws {
        try store.setExperimentTag(id: id, tag: ExperimentTag(key: "k", value: "v"))
        try store.deleteExperiment(id: id)
        expectMLflowError(.invalidParameterValue) { try store.deleteExperimentTag(id: id, key: "k") }
    }

    @Test func taggingAnUnknownExperimentIs404() {
        expectMLflowError(.resourceDoesNotExist) {
            try store.setExperimentTag(id: "999", tag: ExperimentTag(key: "k", value: "v"))
        }
    }

    @Test func invalidTagKeyIsRejected() {
        expectMLflowError(.invalidParameterValue) {
            try store.setExperimentTag(id: id, tag: ExperimentTag(key: "bad#key", value: "v"))
        }
    }

    @Test func tagValueOver20000CharactersIsRejected() {
        expectMLflowError(.invalidParameterValue) {
            try store.setExperimentTag(id: id, tag: ExperimentTag(key: "k", value: String(repeating: "v", count: 20001)))
        }
    }
}
