import MLflowCore
import MLflowTestSupport
import Testing

@Suite struct ArtifactPathTests {
    @Test func urlPathSegmentsAreDecodedOneByOne() throws {
        #expect(try ArtifactPath.fromURLPath("1/abc/artifacts/my%20file.txt").segments == ["1", "abc", "artifacts", "my file.txt"])
        #expect(try ArtifactPath.fromURLPath("dir/").segments == ["dir"])
        #expect(try ArtifactPath.fromURLPath("").isRoot)
    }

    @Test(arguments: ["../etc/passwd", "a/../../b", "a/./b", "/etc/passwd", "a//b", "%2e%2e/x", "a/%2E%2E", "a%2fb", "a%2Fb", "a%5cb", "a\\b", "a%00b", "a#b", "a%0ab"])
    func unsafeURLPathsAreRefused(_ raw: String) {
        expectMLflowError(.invalidParameterValue, containing: "Invalid path") { try ArtifactPath.fromURLPath(Substring(raw)) }
    }

    @Test(arguments: ["..", "a/..", "/abs", "a//b", "a\\b", "a\u{0}b", "./a"])
    func unsafeParametersAreRefused(_ path: String) {
        expectMLflowError(.invalidParameterValue, containing: "Invalid path") { try ArtifactPath.fromParameter(path) }
    }

    // Found by the hostile-input e2e suite (issue #7): an upload to `x/<300 bytes>` failed only
    // after creating the folder `x`; a segment over 255 bytes is now refused up front.
    @Test func segmentsOver255BytesAreRefused() throws {
        let fits = String(repeating: "é", count: 127)  // 254 bytes
        #expect(try ArtifactPath.fromParameter("x/" + fits).segments == ["x", fits])
        expectMLflowError(.invalidParameterValue, containing: "Invalid path") { try ArtifactPath.fromParameter("x/" + fits + "é") }
        expectMLflowError(.invalidParameterValue, containing: "Invalid path") { try ArtifactPath.fromURLPath(Substring("x/" + String(repeating: "y", count: 256))) }
    }

    @Test func parametersAreAlreadyDecoded() throws {
        // A `path=` value arrives decoded: `%2f` there was a real slash, and a literal "%41" stays.
        #expect(try ArtifactPath.fromParameter("1/run/artifacts/%41").segments == ["1", "run", "artifacts", "%41"])
        #expect(try ArtifactPath.fromParameter(nil).isRoot)
        #expect(try ArtifactPath.fromParameter("").isRoot)
    }

    @Test func unicodeNamesAreFine() throws {
        #expect(try ArtifactPath.fromURLPath("d%C3%A9j%C3%A0/%E2%9C%93.txt").segments == ["déjà", "✓.txt"])
    }

    @Test func appendingAndPrefix() throws {
        let base = try ArtifactPath.fromParameter("1/run/artifacts")
        let full = base.appending(try ArtifactPath.fromParameter("a/b.txt"))
        #expect(full.description == "1/run/artifacts/a/b.txt")
        #expect(full.hasPrefix(base))
        #expect(full.name == "b.txt")
    }
}
