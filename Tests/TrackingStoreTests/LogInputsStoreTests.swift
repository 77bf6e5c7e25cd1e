import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// log-inputs: datasets linked to runs with input tags (contract §8).
struct LogInputsStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let runID: String

    init() throws {
        fixture = try StoreFixture()
        runID = try fixture.makeRun().info.runID
    }

    private func dataset(_ name: String, digest: String = "abc123", profile: String? = nil) -> Dataset {
        Dataset(name: name, digest: digest, sourceType: "local", source: "{\"uri\": \"/data\"}", schema: nil, profile: profile)
    }

    private func context(_ value: String) -> [KeyValue] { [KeyValue(key: "mlflow.data.context", value: value)] }

    @Test func datasetAndTagsAreStored() throws {
        let input = DatasetInput(tags: context("training"), dataset: dataset("train", profile: "{\"rows\": 3}"))
        try store.logInputs(runID: runID, datasets: [input])
        #expect(try store.run(id: runID).datasetInputs == [input])
    }

    @Test func sameNameAndDigestIsStoredOnce() throws {
        let input = DatasetInput(tags: context("training"), dataset: dataset("train"))
        try store.logInputs(runID: runID, datasets: [input])
        try store.logInputs(runID: runID, datasets: [input])
        #expect(try store.run(id: runID).datasetInputs == [input])
    }

    @Test func sameNameWithAnotherDigestIsAnotherDataset() throws {
        try store.logInputs(runID: runID, datasets: [DatasetInput(tags: [], dataset: dataset("train", digest: "d1"))])
        try store.logInputs(runID: runID, datasets: [DatasetInput(tags: [], dataset: dataset("train", digest: "d2"))])
        #expect(try store.run(id: runID).datasetInputs.map(\.dataset.digest) == ["d1", "d2"])
    }

    @Test func inputsKeepTheirLoggingOrder() throws {
        try store.logInputs(
            runID: runID,
            datasets: [DatasetInput(tags: [], dataset: dataset("zeta")), DatasetInput(tags: [], dataset: dataset("alpha"))])
        #expect(try store.run(id: runID).datasetInputs.map(\.dataset.name) == ["zeta", "alpha"])
    }

    @Test func oneDatasetCanFeedTwoRuns() throws {
        let other = try fixture.makeRun().info.runID
        try store.logInputs(runID: runID, datasets: [DatasetInput(tags: context("training"), dataset: dataset("shared"))])
        try store.logInputs(runID: other, datasets: [DatasetInput(tags: context("eval"), dataset: dataset("shared"))])
        #expect(try store.run(id: runID).datasetInputs.first?.tags == context("training"))
        #expect(try store.run(id: other).datasetInputs.first?.tags == context("eval"))
    }

    @Test func digestOver36CharactersIsRejected() throws {
        expectMLflowError(.invalidParameterValue) {
            try store.logInputs(runID: runID, datasets: [DatasetInput(tags: [], dataset: dataset("d", digest: String(repeating: "f", count: 37)))])
        }
        #expect(try store.run(id: runID).datasetInputs.isEmpty)
    }

    @Test func nameOver500CharactersIsRejected() {
        expectMLflowError(.invalidParameterValue) {
            try store.logInputs(runID: runID, datasets: [DatasetInput(tags: [], dataset: dataset(String(repeating: "n", count: 501)))])
        }
    }

    @Test func inputTagValueOver500CharactersIsRejected() {
        expectMLflowError(.invalidParameterValue) {
            try store.logInputs(
                runID: runID, datasets: [DatasetInput(tags: [KeyValue(key: "k", value: String(repeating: "v", count: 501))], dataset: dataset("d"))])
        }
    }

    @Test func unknownRunIs404() {
        expectMLflowError(.resourceDoesNotExist) {
            try store.logInputs(runID: "nope", datasets: [DatasetInput(tags: [], dataset: dataset("d"))])
        }
    }
}
