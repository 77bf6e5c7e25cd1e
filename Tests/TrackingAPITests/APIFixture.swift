import Foundation
import MLflowCore
import Testing
import TrackingAPI
import TrackingStore

/// A unique folder under the system temporary directory holding one test's database; the
/// folder is removed when the value is released.
final class TemporaryDatabase {
    let folder: URL
    var path: String { folder.appendingPathComponent("mlflow.sqlite").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("mlflow-fcgi-api-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// A response with its body parsed by Foundation, as a client would see it.
struct TestResponse {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as a JSON object; fails the test when it is not one.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        return try #require(object as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
    }

    var errorCode: String? { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error_code"] as? String }
    var message: String { ((try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["message"] as? String) ?? "" }
}

/// One test's API over its own fresh SQLite database.
final class APIFixture {
    static let root = "/api/2.0/mlflow/"

    let database: TemporaryDatabase
    let store: SQLiteStore
    let api: TrackingAPI

    /// - Parameter downloads: serve artifacts (from a folder beside the database) this way;
    ///   nil leaves the artifact routes out.
    init(urlPrefix: String = "", busyTimeoutMilliseconds: Int32 = 10_000, downloads: ArtifactSettings.Downloads? = nil) throws {
        let database = try TemporaryDatabase()
        self.database = database
        store = try SQLiteStore(SQLiteStoreConfiguration(path: database.path, busyTimeoutMilliseconds: busyTimeoutMilliseconds))
        let artifacts = try downloads.map {
            ArtifactSettings(repository: try LocalArtifactRepository(root: database.folder.appendingPathComponent("artifacts").path), downloads: $0)
        }
        api = TrackingAPI(store: store, artifacts: artifacts, urlPrefix: urlPrefix)
    }

    /// Sends `request`. Any 5xx answer is recorded as a test failure unless `allowServerError`:
    /// clients retry those for minutes, so no test request may get one by accident.
    func send(_ request: APIRequest, allowServerError: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> TestResponse {
        let response = api.handle(request)
        let result = TestResponse(status: response.status, headers: response.headers, body: response.collectedBody())
        if response.status >= 500, !allowServerError {
            Issue.record(
                "\(request.method) \(request.path) answered \(response.status): \(result.text.prefix(300))", sourceLocation: sourceLocation)
        }
        return result
    }

    /// GET `rpc` (e.g. `runs/get`) under `/api/2.0/mlflow/` with a raw query string.
    func get(_ rpc: String, _ query: String = "", sourceLocation: SourceLocation = #_sourceLocation) -> TestResponse {
        send(APIRequest(method: "GET", path: Self.root + rpc, query: query), sourceLocation: sourceLocation)
    }

    /// POST a raw body to `rpc` under `/api/2.0/mlflow/`.
    func post(
        _ rpc: String, _ body: String, contentType: String? = "application/json", allowServerError: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> TestResponse {
        send(
            APIRequest(method: "POST", path: Self.root + rpc, contentType: contentType, body: Array(body.utf8)),
            allowServerError: allowServerError, sourceLocation: sourceLocation)
    }

    /// POST `object` serialised by Foundation.
    func post(_ rpc: String, json object: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: object)
        return post(rpc, String(decoding: data, as: UTF8.self), sourceLocation: sourceLocation)
    }

    /// Creates a run in the default experiment through the API and answers its id.
    func createRun(name: String? = nil) throws -> String {
        var body: [String: Any] = ["experiment_id": "0", "start_time": 1_700_000_000_000]
        if let name { body["run_name"] = name }
        let response = try post("runs/create", json: body)
        try #require(response.status == 200, "\(response.text)")
        let run = try #require(try response.json()["run"] as? [String: Any])
        let info = try #require(run["info"] as? [String: Any])
        return try #require(info["run_id"] as? String)
    }

    /// The `run` object of `runs/get`.
    func getRun(_ runID: String) throws -> [String: Any] {
        let response = get("runs/get", "run_id=\(runID)")
        try #require(response.status == 200, "\(response.text)")
        return try #require(try response.json()["run"] as? [String: Any])
    }
}

/// Expects a JSON error answer with this status and code (and a message containing `fragment`).
func expectError(
    _ response: TestResponse, status: Int, code: String, containing fragment: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.errorCode == code, "\(response.text)", sourceLocation: sourceLocation)
    if let fragment {
        #expect(response.message.contains(fragment), "message was: \(response.message)", sourceLocation: sourceLocation)
    }
}

/// An integer as Foundation parsed it from a JSON number (nil for strings and other types).
func jsonInteger(_ value: Any?) -> Int64? {
    if value is String || isJSONBoolean(value) { return nil }
    if let number = value as? Int { return Int64(number) }
    if let number = value as? Int64 { return number }
    if let number = value as? NSNumber { return number.int64Value }
    return nil
}

/// True for `true`/`false` as Foundation parsed them. On Linux every NSNumber answers `is Bool`,
/// so the boolean class is recognised by name.
func isJSONBoolean(_ value: Any?) -> Bool {
    guard let value else { return false }
    return String(describing: type(of: value)).contains("Bool")
}

/// A double as Foundation parsed it from a JSON number (nil for strings).
func jsonDouble(_ value: Any?) -> Double? {
    if value is String || isJSONBoolean(value) { return nil }
    if let number = value as? Double { return number }
    if let number = value as? Int { return Double(number) }
    if let number = value as? NSNumber { return number.doubleValue }
    return nil
}

extension Dictionary where Key == String, Value == Any {
    func object(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(self[key] as? [String: Any], "no object at '\(key)' in \(self)", sourceLocation: sourceLocation)
    }

    func objects(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try #require(self[key] as? [[String: Any]], "no list at '\(key)' in \(self)", sourceLocation: sourceLocation)
    }

    /// The `value` of the `{key, value}` element whose key is `key`, in the list at `list`.
    func pairValue(_ list: String, _ key: String) -> Any? {
        (self[list] as? [[String: Any]])?.first { $0["key"] as? String == key }?["value"]
    }
}
