import MLflowCore
import MLflowTestSupport
import Testing

/// Metric, param and tag keys (contract §5.1, §5.2).
struct KeyValidationTests {
    @Test(arguments: ["loss", "train/loss", "a-b.c d:e_f", "x1", "A.B", "epoch 10/val_acc"])
    func acceptsAllowedCharacters(key: String) throws {
        try Validation.key(key, what: "Metric name")
    }

    @Test(arguments: ["損失", "précision", "Größe", "ошибка_1"])
    func acceptsUnicodeLetters(key: String) throws {
        try Validation.key(key, what: "Param key")
    }

    @Test func rejectsHashWithMLflowWording() {
        expectMLflowError(
            .invalidParameterValue,
            containing: "Invalid value \"bad#key\" for parameter 'key' supplied: Names may only contain"
        ) {
            try Validation.key("bad#key", what: "Param key")
        }
    }

    @Test(arguments: ["a?b", "a*b", "a\\b", "a\"b", "a\nb", "a%b", "emoji😀"])
    func rejectsOtherDisallowedCharacters(key: String) {
        expectMLflowError(.invalidParameterValue, containing: "Names may only contain") {
            try Validation.key(key, what: "Tag key")
        }
    }

    @Test(arguments: ["../up", "/abs", "a//b", "a/./b", "a/", ".", "..", "a/../b", "./a"])
    func rejectsKeysThatAreNotPathUnique(key: String) {
        expectMLflowError(.invalidParameterValue, containing: "Invalid value \"\(key)\" for parameter 'key'") {
            try Validation.key(key, what: "Metric name")
        }
    }

    @Test func acceptsKeysThatMerelyContainDots() throws {
        try Validation.key("a.b/c..d/.e", what: "Metric name")
    }

    @Test func emptyKeyIsAMissingParameter() {
        expectMLflowError(.invalidParameterValue, containing: "Missing value for required parameter 'key'") {
            try Validation.key("", what: "Param key")
        }
    }

    @Test func keyOfExactly250CharactersIsAccepted() throws {
        try Validation.key(String(repeating: "k", count: 250), what: "Param key")
    }

    @Test func keyOf251CharactersIsRejected() {
        expectMLflowError(.invalidParameterValue, containing: "'Param key' exceeds the maximum length of 250 characters") {
            try Validation.key(String(repeating: "k", count: 251), what: "Param key")
        }
    }

    @Test func paramValidationChecksTheKey() {
        expectMLflowError(.invalidParameterValue) {
            try Validation.param(Param(key: "bad#key", value: "1"))
        }
    }

    @Test func metricValidationChecksTheKey() {
        expectMLflowError(.invalidParameterValue) {
            try Validation.metric(Metric(key: "/abs", value: 1, timestamp: 0, step: 0))
        }
    }

    @Test func runTagValidationChecksTheKey() {
        expectMLflowError(.invalidParameterValue) {
            try Validation.runTag(RunTag(key: "a//b", value: "v"))
        }
    }
}
