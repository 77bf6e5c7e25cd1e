import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Run tags: upsert, delete, `mlflow.runName` (contract §6.3, §6.6).
struct RunTagStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let runID: String

    init() throws {
        fixture = try StoreFixture()
        runID = try fixture.makeRun(name: "original").info.runID
    }

    @Test func setTagIsReadBack() throws {
        try fixture.setTag(runID, "team", "a")
        #expect(try store.run(id: runID).tag("team") == "a")
    }

    @Test func settingAgainOverwrites() throws {
        try fixture.setTag(runID, "team", "a")
        try fixture.setTag(runID, "team", "b")
        let tags = try store.run(id: runID).tags.filter { $0.key == "team" }
        #expect(tags == [RunTag(key: "team", value: "b")])
    }

    @Test func runNameTagRenamesTheRun() throws {
        try fixture.setTag(runID, "mlflow.runName", "renamed-by-tag")
        let run = try store.run(id: runID)
        #expect(run.info.runName == "renamed-by-tag")
        #expect(run.tag("mlflow.runName") == "renamed-by-tag")
    }

    @Test func longValueIsTruncatedTo8000Characters() throws {
        try fixture.setTag(runID, "long", String(repeating: "y", count: 9000))
        #expect(try store.run(id: runID).tag("long") == String(repeating: "y", count: 8000))
    }

    @Test func deleteTagRemovesIt() throws {
        try fixture.setTag(runID, "team", "a")
        try store.deleteTag(runID: runID, key: "team")
        #expect(try store.run(id: runID).tag("team") == nil)
    }

    @Test func deletingAMissingTagIs404() {
        expectMLflowError(.resourceDoesNotExist) { try store.deleteTag(runID: runID, key: "absent") }
    }

    @Test func deletingATagOfAnUnknownRunIs404() {
        expectMLflowError(.resourceDoesNotExist) { try store.deleteTag(runID: "nope", key: "absent") }
    }

    @Test func invalidKeyIsRejected() {
        expectMLflowError(.invalidParameterValue) { try fixture.setTag(runID, "../up", "v") }
    }
}
