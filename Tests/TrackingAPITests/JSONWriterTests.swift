import Foundation
import Testing
import TrackingAPI

/// The response JSON writer: escaping, numbers, MLflow's non-finite strings.
struct JSONWriterTests {
    private func written(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        writer.object(body)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private func roundTrip(_ body: (inout JSONWriter) -> Void) throws -> [String: Any] {
        var writer = JSONWriter()
        writer.object(body)
        return try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
    }

    @Test func escapesQuotesAndBackslashes() {
        #expect(written { $0.field("k", "a\"b\\c") } == #"{"k":"a\"b\\c"}"#)
    }

    @Test func escapesControlCharacters() {
        let text = written { $0.field("k", "\n\r\t\u{0}\u{1}\u{1F}\u{8}\u{C}") }
        #expect(text == #"{"k":"\n\r\t\u0000\u0001\u001f\u0008\u000c"}"#)
        #expect(!text.utf8.contains { $0 < 0x20 })
    }

    @Test func everyControlCharacterRoundTrips() throws {
        let value = String((0..<0x20).map { Character(Unicode.Scalar($0)!) }) + "\"\\/ é 😀 \u{7F}\u{2028}"
        let object = try roundTrip { $0.field("k\n\"", value) }
        #expect(object["k\n\""] as? String == value)
    }

    @Test func int64IsANumber() throws {
        let object = try roundTrip {
            $0.field("max", Int64.max)
            $0.field("min", Int64.min)
            $0.field("t", 1_700_000_000_000 as Int64)
        }
        #expect(jsonInteger(object["t"]) == 1_700_000_000_000)
        #expect(jsonInteger(object["max"]) == Int64.max)
        #expect(jsonInteger(object["min"]) == Int64.min)
    }

    @Test func nonFiniteDoublesAreStrings() {
        let text = written { w in
            w.key("a"); w.double(.nan)
            w.key("b"); w.double(.infinity)
            w.key("c"); w.double(-.infinity)
        }
        #expect(text == #"{"a":"NaN","b":"Infinity","c":"-Infinity"}"#)
    }

    @Test(arguments: [0.0, -0.0, 0.1, 1.0, -2.5, 1e-300, Double.leastNonzeroMagnitude, 123_456_789.123, 1.7976931348623157e308, -1.7976931348623157e308, 1e21, 1e16])
    func doublesRoundTripExactly(value: Double) throws {
        let object = try roundTrip { w in
            w.key("v")
            w.double(value)
        }
        #expect(jsonDouble(object["v"]) == value)
    }

    @Test func booleansAndNesting() throws {
        let object = try roundTrip { w in
            w.field("t", true)
            w.field("f", false)
            w.key("list")
            w.array { a in
                a.int(1)
                a.string("two")
                a.object { o in o.field("three", 3 as Int64) }
                a.array { _ in }
            }
            w.key("empty")
            w.object { _ in }
        }
        #expect(object["t"] as? Bool == true)
        #expect(object["f"] as? Bool == false)
        let list = try #require(object["list"] as? [Any])
        #expect(list.count == 4)
        #expect(list[1] as? String == "two")
        #expect(jsonInteger((list[2] as? [String: Any])?["three"]) == 3)
        #expect((list[3] as? [Any])?.isEmpty == true)
        #expect((object["empty"] as? [String: Any])?.isEmpty == true)
    }

    @Test func emptyListsAreOmitted() {
        let text = written { w in
            w.list("tags", [String]()) { $0.string($1) }
            w.field("x", 1 as Int64)
        }
        #expect(text == #"{"x":1}"#)
    }

    @Test func nonEmptyListsAreWritten() {
        let text = written { w in
            w.list("tags", ["a", "b"]) { $0.string($1) }
        }
        #expect(text == #"{"tags":["a","b"]}"#)
    }
}
