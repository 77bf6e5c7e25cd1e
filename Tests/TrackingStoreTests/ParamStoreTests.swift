import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Params: write-once values, truncation (contract §5.2, §6.3).
struct ParamStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }
    let runID: String

    init() throws {
        fixture = try StoreFixture()
        runID = try fixture.makeRun().info.runID
    }

    @Test func loggedParamIsReadBack() throws {
        try store.logParam(runID: runID, param: Param(key: "lr", value: "0.1"))
        #expect(try store.run(id: runID).params == [Param(key: "lr", value: "0.1")])
    }

    @Test func loggingTheSameValueAgainIsANoOp() throws {
        try store.logParam(runID: runID, param: Param(key: "lr", value: "0.1"))
        try store.logParam(runID: runID, param: Param(key: "lr", value: "0.1"))
        #expect(try store.run(id: runID).params == [Param(key: "lr", value: "0.1")])
    }

    @Test func changingAValueIsA400WithTheSingleParamWording() throws {
        try store.logParam(runID: runID, param: Param(key: "lr", value: "0.1"))
        expectMLflowError(
            .invalidParameterValue,
            containing:
                "Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for run ID='\(runID)'. Attempted logging new value '0.2'."
        ) {
            try store.logParam(runID: runID, param: Param(key: "lr", value: "0.2"))
        }
        #expect(try store.run(id: runID).param("lr") == "0.1")
    }

    @Test func changingAValueInABatchIsA400WithTheBatchWording() throws {
        try store.logParam(runID: runID, param: Param(key: "lr", value: "0.1"))
        expectMLflowError(
            .invalidParameterValue,
            containing: "Params were already logged='[{'key': 'lr', 'old_value': '0.1', 'new_value': '0.2'}]'"
        ) {
            try store.logBatch(runID: runID, metrics: [], params: [Param(key: "lr", value: "0.2")], tags: [])
        }
    }

    @Test func sameValueInABatchIsANoOp() throws {
        try store.logParam(runID: runID, param: Param(key: "lr", value: "0.1"))
        try store.logBatch(runID: runID, metrics: [], params: [Param(key: "lr", value: "0.1"), Param(key: "b", value: "2")], tags: [])
        #expect(try store.run(id: runID).params == [Param(key: "b", value: "2"), Param(key: "lr", value: "0.1")])
    }

    @Test func emptyValueIsStored() throws {
        try store.logParam(runID: runID, param: Param(key: "empty", value: ""))
        #expect(try store.run(id: runID).param("empty") == "")
    }

    @Test func longValueIsTruncatedTo6000Characters() throws {
        let value = String(repeating: "x", count: 6500)
        try store.logParam(runID: runID, param: Param(key: "long", value: value))
        #expect(try store.run(id: runID).param("long") == String(repeating: "x", count: 6000))
    }

    @Test func valuesAreComparedAfterTruncation() throws {
        let long = String(repeating: "x", count: 6000) + "tail"
        try store.logParam(runID: runID, param: Param(key: "long", value: long))
        try store.logParam(runID: runID, param: Param(key: "long", value: long))
        try store.logParam(runID: runID, param: Param(key: "long", value: String(repeating: "x", count: 6000) + "other"))
        #expect(try store.run(id: runID).param("long")?.count == 6000)
    }

    @Test func invalidKeyIsRejected() throws {
        expectMLflowError(.invalidParameterValue, containing: "Names may only contain") {
            try store.logParam(runID: runID, param: Param(key: "bad#key", value: "1"))
        }
        #expect(try store.run(id: runID).params.isEmpty)
    }

    @Test func unicodeAndSpecialValuesRoundTrip() throws {
        let value = "α β\n\"quoted\"\t\u{0}end 😀"
        try store.logParam(runID: runID, param: Param(key: "u", value: value))
        #expect(try store.run(id: runID).param("u") == value)
    }
}
