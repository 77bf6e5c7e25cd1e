import Testing
import TrackingAPI

/// The request JSON parser: strict RFC 8259 plus Python's bare NaN/Infinity tokens.
struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesAllValueKinds() throws {
        let value = try parse(#" {"s": "x", "n": 12, "f": -1.5e3, "t": true, "F": false, "z": null, "a": [1, "2"], "o": {}} "#)
        #expect(
            value
                == .object([
                    "s": .string("x"), "n": .number("12"), "f": .number("-1.5e3"), "t": .bool(true), "F": .bool(false),
                    "z": .null, "a": .array([.number("1"), .string("2")]), "o": .object([:]),
                ]))
    }

    @Test func numbersKeepTheirSourceText() throws {
        #expect(try parse("9007199254740993") == .number("9007199254740993"))
        #expect(try parse("1700000000000") == .number("1700000000000"))
    }

    @Test func decodesEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\r\b\f\u00e9\u20ac""#) == .string("a\"b\\c/d\n\t\r\u{08}\u{0C}é€"))
    }

    @Test func joinsSurrogatePairs() throws {
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test func keepsRawUTF8() throws {
        #expect(try parse("\"αβ 😀\"") == .string("αβ 😀"))
    }

    @Test(arguments: ["NaN", "Infinity", "-Infinity"])
    func acceptsBareNonFiniteTokens(token: String) throws {
        #expect(try parse("[\(token)]") == .array([.number(token)]))
    }

    @Test(arguments: ["{} x", "{}{}", "[1] ]", "1 2", "\"a\" \"b\"", "null,"])
    func rejectsTrailingData(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test(arguments: [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test(arguments: [#""\ud800""#, #""\udc00""#, #""\ud800x""#, #""\ud800\u0041""#, #""\ud800\""#])
    func rejectsLoneSurrogates(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test(arguments: [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func rejectsUnescapedControlCharacters(byte: UInt8) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x61, byte, 0x62, 0x22]) }
    }

    @Test func acceptsNestingUpToMaxDepth() throws {
        let depth = JSONParser.maxDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        _ = try parse(text)
    }

    @Test func rejectsNestingBeyondMaxDepth() {
        let depth = JSONParser.maxDepth + 1
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func rejectsDeeplyNestedObjects() {
        let depth = JSONParser.maxDepth + 1
        let text = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func survives100000OpeningBrackets() {
        #expect(throws: JSONParseError.self) { try parse(String(repeating: "[", count: 100_000)) }
    }

    @Test(arguments: [
        "", "   ", "{", "[1,]", #"{"a":1,}"#, "{'a': 1}", "// c\n1", "01", "1.", ".5", "+1", "1e", "-", "nul", "tru", "nan",
        "inf", "-NaN", #"{"a" 1}"#, "{1: 2}", #""\x""#, #""\u12""#, "\"abc",
    ])
    func rejectsInvalidDocuments(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func reportsTheOffsetOfTheError() {
        let error = #expect(throws: JSONParseError.self) { try parse("[1, x]") }
        #expect(error?.offset == 4)
    }

    @Test func aKeyGivenTwiceReadsAsItsLastValue() throws {
        guard case .object(let members) = try parse(#"{"a": 1, "b": 0, "a": 2}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(members["a"] == .number("2"))
        #expect(members == ["b": .number("0"), "a": .number("2")])
    }
}
