import MLflowCore
import MLflowTestSupport
import Testing

/// Long param and run-tag values are silently truncated (contract §5.2).
struct TruncationTests {
    @Test func paramValueOf6000CharactersIsKeptWhole() throws {
        let value = String(repeating: "p", count: 6000)
        #expect(try Validation.param(Param(key: "k", value: value)).value == value)
    }

    @Test func paramValueOver6000CharactersIsTruncatedTo6000() throws {
        let value = String(repeating: "a", count: 5999) + "bcd"
        let stored = try Validation.param(Param(key: "k", value: value))
        #expect(stored.value.count == 6000)
        #expect(stored.value == String(value.prefix(6000)))
        #expect(stored.key == "k")
    }

    @Test func tagValueOf8000CharactersIsKeptWhole() throws {
        let value = String(repeating: "t", count: 8000)
        #expect(try Validation.runTag(RunTag(key: "k", value: value)).value == value)
    }

    @Test func tagValueOver8000CharactersIsTruncatedTo8000() throws {
        let value = String(repeating: "a", count: 7999) + "xyz"
        let stored = try Validation.runTag(RunTag(key: "k", value: value))
        #expect(stored.value.count == 8000)
        #expect(stored.value == String(value.prefix(8000)))
    }

    @Test func truncatedLeavesShortValuesAlone() {
        #expect(Validation.truncated("abc", to: 3) == "abc")
        #expect(Validation.truncated("abcd", to: 3) == "abc")
    }

    /// Python's `len` and slicing count code points: "e" + U+0301 (one character on screen)
    /// is two, and truncation may split such a pair, as MLflow's does.
    @Test func lengthsAreCountedInCodePointsAsPythonDoes() throws {
        let accented = "e\u{301}"
        #expect(Validation.truncated(String(repeating: accented, count: 2), to: 3) == accented + "e")
        #expect(Validation.truncated("ééé", to: 2) == "éé")  // precomposed: one code point each
        let key = String(repeating: accented, count: 126)  // 126 characters, 252 code points
        expectMLflowError(.invalidParameterValue, containing: "exceeds the maximum length of 250") {
            try Validation.param(Param(key: key, value: "v"))
        }
        _ = try Validation.param(Param(key: String(repeating: "é", count: 250), value: "v"))
    }
}
