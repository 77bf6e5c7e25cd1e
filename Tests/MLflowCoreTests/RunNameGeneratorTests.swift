import MLflowCore
import Testing

/// Generated run names: `<adjective>-<noun>-<number>`, at most 20 characters (contract §6.6).
struct RunNameGeneratorTests {
    @Test func namesHaveTheWordWordNumberShape() throws {
        for _ in 0..<500 {
            let name = RunNameGenerator.make()
            let parts = name.split(separator: "-", omittingEmptySubsequences: false)
            try #require(parts.count == 3, "\(name)")
            #expect(parts[0].allSatisfy { $0.isLetter && $0.isLowercase }, "\(name)")
            #expect(parts[1].allSatisfy { $0.isLetter && $0.isLowercase }, "\(name)")
            #expect(!parts[0].isEmpty && !parts[1].isEmpty, "\(name)")
            let number = try #require(Int(parts[2]), "\(name)")
            #expect((0...1000).contains(number), "\(name)")
            #expect(String(number) == parts[2], "no leading zeros: \(name)")
        }
    }

    @Test func namesAreAtMost20Characters() {
        for _ in 0..<500 {
            let name = RunNameGenerator.make()
            #expect(name.count <= 20, "\(name)")
        }
    }

    @Test func namesVary() {
        let names = Set((0..<50).map { _ in RunNameGenerator.make() })
        #expect(names.count > 1)
    }

    @Test func namesAreValidTagValuesAndKeys() throws {
        for _ in 0..<50 {
            try Validation.key(RunNameGenerator.make(), what: "Tag key")
        }
    }
}
