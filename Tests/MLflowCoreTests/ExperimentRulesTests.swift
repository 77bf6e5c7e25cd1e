import MLflowCore
import MLflowTestSupport
import Testing

/// Experiment names and ids (contract §5.2, §5.4).
struct ExperimentRulesTests {
    @Test func acceptsAnOrdinaryName() throws {
        #expect(try Validation.experimentName("my experiment") == "my experiment")
    }

    @Test func absentNameIsAMissingParameter() {
        expectMLflowError(.invalidParameterValue, containing: "Missing value for required parameter 'name'") {
            try Validation.experimentName(nil)
        }
    }

    @Test func emptyNameIsAMissingParameter() {
        expectMLflowError(.invalidParameterValue, containing: "Missing value for required parameter 'name'") {
            try Validation.experimentName("")
        }
    }

    @Test(arguments: [" ", "   ", "\t"])
    func blankNameIsInvalid(name: String) {
        expectMLflowError(.invalidParameterValue, containing: "Invalid experiment name: '\(name)'") {
            try Validation.experimentName(name)
        }
    }

    @Test func nameOfExactly500CharactersIsAccepted() throws {
        let name = String(repeating: "n", count: 500)
        #expect(try Validation.experimentName(name) == name)
    }

    @Test func nameOf501CharactersIsRejected() {
        expectMLflowError(.invalidParameterValue, containing: "'name' exceeds the maximum length of 500 characters") {
            try Validation.experimentName(String(repeating: "n", count: 501))
        }
    }

    @Test func errorsNameTheFieldGiven() {
        expectMLflowError(.invalidParameterValue, containing: "'new_name'") {
            try Validation.experimentName("", field: "new_name")
        }
    }

    @Test(arguments: [("0", Int64(0)), ("1", 1), ("42", 42), ("9007199254740993", 9_007_199_254_740_993)])
    func parsesIntegerExperimentIDs(text: String, expected: Int64) throws {
        #expect(try Validation.experimentID(text) == expected)
    }

    @Test func nonIntegerExperimentIDHasMLflowWording() {
        expectMLflowError(
            .invalidParameterValue, containing: "Invalid experiment ID 'abc'. Experiment ID must be a valid integer."
        ) {
            try Validation.experimentID("abc")
        }
    }

    @Test(arguments: ["", "1.5", "1e3", "0x10", "12abc"])
    func rejectsOtherNonIntegerExperimentIDs(text: String) {
        expectMLflowError(.invalidParameterValue, containing: "Experiment ID must be a valid integer") {
            try Validation.experimentID(text)
        }
    }

    @Test func experimentTagValueOfExactly20000CharactersIsAccepted() throws {
        try Validation.experimentTag(ExperimentTag(key: "k", value: String(repeating: "v", count: 20000)))
    }

    @Test func experimentTagValueOver20000CharactersIsRejectedNotTruncated() {
        expectMLflowError(.invalidParameterValue) {
            try Validation.experimentTag(ExperimentTag(key: "k", value: String(repeating: "v", count: 20001)))
        }
    }

    @Test func experimentTagKeyFollowsKeyRules() {
        expectMLflowError(.invalidParameterValue) {
            try Validation.experimentTag(ExperimentTag(key: "bad#key", value: "v"))
        }
    }
}
