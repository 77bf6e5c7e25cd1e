import Foundation
import Testing
import TrackingAPI
import TrackingStore

/// The proxied artifact routes in-process (contract §11.2–§11.3).
struct ArtifactAPITests {
    static let root = "/api/2.0/mlflow-artifacts/artifacts"

    func put(_ fixture: APIFixture, _ path: String, _ text: String) -> TestResponse {
        fixture.send(APIRequest(method: "PUT", path: Self.root + "/" + path, contentType: "text/plain", body: Array(text.utf8)))
    }

    func get(_ fixture: APIFixture, _ rawPath: String) -> (TestResponse, String?) {
        let response = fixture.api.handle(APIRequest(method: "GET", path: Self.root + "/" + rawPath, rawPath: Self.root + "/" + rawPath, body: RequestBody([])))
        var text: String? = nil
        if let file = response.file {
            var bytes = [UInt8](repeating: 0, count: file.size)
            _ = read(file.descriptor, &bytes, file.size)
            close(file.descriptor)
            text = String(decoding: bytes, as: UTF8.self)
        }
        return (TestResponse(status: response.status, headers: response.headers, body: response.body), text)
    }

    @Test func uploadThenStreamDownload() throws {
        let fixture = try APIFixture(downloads: .stream)
        #expect(put(fixture, "0/run/artifacts/notes.txt", "hello").status == 200)
        let (response, text) = get(fixture, "0/run/artifacts/notes.txt")
        #expect(response.status == 200)
        #expect(text == "hello")
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.header("Content-Disposition") == "attachment; filename=\"notes.txt\"")
    }

    @Test func accelRedirectNamesTheEncodedPath() throws {
        let fixture = try APIFixture(downloads: .accelRedirect(prefix: "/_mlflow_artifacts/"))
        _ = put(fixture, "0/my%20dir/a%2Bb.json", "{}")
        let (response, text) = get(fixture, "0/my%20dir/a%2Bb.json")
        #expect(response.status == 200 && text == nil && response.body.isEmpty)
        #expect(response.header("X-Accel-Redirect") == "/_mlflow_artifacts/0/my%20dir/a%2Bb.json")
        #expect(response.header("Content-Type") == "application/json")
    }

    @Test func sendfileNamesTheFile() throws {
        let fixture = try APIFixture(downloads: .sendfile)
        _ = put(fixture, "x.bin", "1")
        let (response, _) = get(fixture, "x.bin")
        #expect(response.header("X-Sendfile")?.hasSuffix("/artifacts/x.bin") == true)
    }

    @Test func listingGivesBasenames() throws {
        let fixture = try APIFixture(downloads: .stream)
        _ = put(fixture, "0/r/artifacts/a.txt", "abc")
        _ = put(fixture, "0/r/artifacts/d/b.txt", "b")
        let response = fixture.send(APIRequest(method: "GET", path: Self.root, query: "path=0/r/artifacts"))
        let files = try #require(try response.json()["files"] as? [[String: Any]])
        #expect(files.map { $0["path"] as? String } == ["a.txt", "d"])
        #expect(jsonInteger(files[0]["file_size"]) == 3)
        #expect(files[1]["file_size"] == nil)
        #expect(fixture.send(APIRequest(method: "GET", path: Self.root, query: "path=missing")).text == "{}")
    }

    @Test func trackingListIsRelativeToTheRunRoot() throws {
        let fixture = try APIFixture(downloads: .stream)
        let runID = try fixture.createRun()
        _ = put(fixture, "0/\(runID)/artifacts/d/b.txt", "b")
        let response = fixture.get("artifacts/list", "run_id=\(runID)&path=d")
        let json = try response.json()
        #expect(json["root_uri"] as? String == "mlflow-artifacts:/0/\(runID)/artifacts")
        #expect((json["files"] as? [[String: Any]])?.first?["path"] as? String == "d/b.txt")
    }

    @Test(arguments: ["../x", "a/%2e%2e/x", "a%2fb", "%00", "a/./b", "/etc/passwd"])
    func traversalIsA400(_ raw: String) throws {
        let fixture = try APIFixture(downloads: .stream)
        #expect(put(fixture, raw, "x").status == 400)
        #expect(get(fixture, raw).0.status == 400)
    }

    @Test func missingIs404AndFolderIs400() throws {
        let fixture = try APIFixture(downloads: .stream)
        _ = put(fixture, "d/x.txt", "x")
        #expect(get(fixture, "nope.txt").0.errorCode == "RESOURCE_DOES_NOT_EXIST")
        #expect(get(fixture, "d").0.status == 400)
    }

    @Test func deleteRemovesTheFile() throws {
        let fixture = try APIFixture(downloads: .stream)
        _ = put(fixture, "d/x.txt", "x")
        #expect(fixture.send(APIRequest(method: "DELETE", path: Self.root + "/d/x.txt")).status == 200)
        #expect(get(fixture, "d/x.txt").0.status == 404)
    }

    @Test func withoutArtifactSettingsTheRoutesDoNotExist() throws {
        let fixture = try APIFixture()
        #expect(put(fixture, "x", "y").status == 404)
    }
}
