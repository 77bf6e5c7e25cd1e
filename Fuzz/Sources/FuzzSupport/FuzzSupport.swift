import Foundation
import MLflowCore
import TrackingAPI
import TrackingStore

#if canImport(Glibc)
import Glibc
#endif

/// Shared pieces of the fuzz targets: a temporary database and artifact root per process,
/// the API over them, and the oracle every response must pass.

/// The fuzz input as bytes.
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the process with a message; libFuzzer reports it as a crash and saves the input.
public func fuzzFailure(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("FUZZ ORACLE FAILURE: " + message + "\n").utf8))
    abort()
}

/// Splits `bytes` at the first `count - 1` occurrences of `separator` (missing parts are empty).
public func fuzzSplit(_ bytes: ArraySlice<UInt8>, _ separator: UInt8, into count: Int) -> [ArraySlice<UInt8>] {
    var parts: [ArraySlice<UInt8>] = []
    var rest = bytes
    while parts.count < count - 1, let index = rest.firstIndex(of: separator) {
        parts.append(rest[rest.startIndex..<index])
        rest = rest[(index + 1)...]
    }
    parts.append(rest)
    while parts.count < count { parts.append([]) }
    return parts
}

/// Escapes `text` as a JSON string literal.
public func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A database and artifact root in a fresh temporary folder, with one experiment, run and
/// logged model in it, and the API over them at `/` and at `/mlflow`.
///
/// The database is recreated every `recycleEvery` requests so it stays small (searches over a
/// database grown by millions of fuzz writes would only measure the database size).
public final class FuzzServer {
    // libFuzzer calls the target from one thread.
    nonisolated(unsafe) public static let shared = FuzzServer()

    public let folder: String
    public private(set) var api: TrackingAPI!
    public private(set) var prefixedAPI: TrackingAPI!
    /// Ids that seeds name with placeholders: `RUNID`, `EXPID`, `MODELID`.
    public private(set) var runID = ""
    public private(set) var experimentID = ""
    public private(set) var modelID = ""
    private var requests = 0
    private let recycleEvery = 20_000
    /// What the temporary folder holds besides the database files: nothing may appear next to
    /// them (an artifact written outside the artifacts root would).
    private let allowedEntries: Set<String> = ["artifacts", "fuzz.db", "fuzz.db-wal", "fuzz.db-shm", "fuzz.db-journal"]

    private init() {
        var template = Array((NSTemporaryDirectory() + "/mlflow-fcgi-fuzz-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { fuzzFailure("cannot create a temporary folder") }
        folder = String(cString: made)
        // The folder goes when the process ends normally (libFuzzer calls exit()).
        atexit { FuzzServer.removeFolder() }
        open()
    }

    private static func removeFolder() {
        try? FileManager.default.removeItem(atPath: FuzzServer.shared.folder)
    }

    private func open() {
        do {
            let store = try SQLiteStore(SQLiteStoreConfiguration(path: folder + "/fuzz.db", durability: .normal, busyTimeoutMilliseconds: 1000))
            let artifacts = ArtifactSettings(repository: try LocalArtifactRepository(root: folder + "/artifacts"))
            api = TrackingAPI(store: store, artifacts: artifacts)
            prefixedAPI = TrackingAPI(store: store, artifacts: artifacts, urlPrefix: "/mlflow")
        } catch {
            fuzzFailure("cannot open the fuzz database: \(error)")
        }
        experimentID = setupID(#"{"name": "fuzz"}"#, "experiments/create", ["experiment_id"])
        runID = setupID(#"{"experiment_id": "\#(experimentID)", "start_time": 1700000000000}"#, "runs/create", ["run", "info", "run_id"])
        modelID = setupID(#"{"experiment_id": "\#(experimentID)", "name": "fuzz-model"}"#, "logged-models", ["model", "info", "model_id"])
        _ = api.handle(APIRequest(method: "POST", path: "/api/2.0/mlflow/runs/log-batch", contentType: "application/json", body: Array(#"""
            {"run_id": "\#(runID)", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1, "step": 0}, {"key": "loss", "value": 0.25, "timestamp": 2, "step": 1}],
             "params": [{"key": "lr", "value": "0.01"}], "tags": [{"key": "team", "value": "fuzz"}]}
            """#.utf8)))
    }

    private func setupID(_ body: String, _ rpc: String, _ keys: [String]) -> String {
        let response = api.handle(APIRequest(method: "POST", path: "/api/2.0/mlflow/" + rpc, contentType: "application/json", body: Array(body.utf8)))
        guard response.status == 200, var value = try? JSONParser.parse(response.body) else {
            fuzzFailure("setup \(rpc) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        for key in keys {
            guard case .object(let object) = value, let next = object[key] else { fuzzFailure("setup \(rpc): no \(key)") }
            value = next
        }
        guard case .string(let id) = value else { fuzzFailure("setup \(rpc): \(keys) is not a string") }
        return id
    }

    /// Replaces the placeholders `RUNID`, `EXPID` and `MODELID` with the ids of this database.
    public func substitute(_ text: String) -> String {
        guard text.contains("ID") else { return text }
        return text.replacingOccurrences(of: "RUNID", with: runID)
            .replacingOccurrences(of: "EXPID", with: experimentID)
            .replacingOccurrences(of: "MODELID", with: modelID)
    }

    public func substitute(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        // Only valid UTF-8 is rewritten; anything else goes through byte for byte.
        guard bytes.count < 1 << 16, let text = String(validating: bytes, as: UTF8.self), text.contains("ID") else { return Array(bytes) }
        return Array(substitute(text).utf8)
    }

    /// Runs the request through the API (the prefixed one when asked) and checks the answer.
    @discardableResult
    public func handle(_ request: APIRequest, prefixed: Bool = false) -> APIResponse {
        let response = (prefixed ? prefixedAPI! : api!).handle(request)
        if let file = response.file { close(file.descriptor) }
        check(response, request)
        if request.method != "GET" && request.method != "HEAD" && request.path.contains("artifacts") { checkFolder(request) }
        // After the request, not before: the caller built it with the ids of this database.
        requests += 1
        if requests % recycleEvery == 0 { recycle() }
        return response
    }

    /// The oracle: no 5xx but the deliberate 501; every error is MLflow's error JSON.
    public func check(_ response: APIResponse, _ request: APIRequest) {
        let body = response.collectedBody()
        let described = "\(request.method) \(request.rawPath.debugDescription) ?\(request.query.debugDescription) -> \(response.status) \(String(decoding: body.prefix(500), as: UTF8.self).debugDescription)"
        if response.status >= 500 && response.status != 501 { fuzzFailure("server error: " + described) }
        if response.status < 200 || response.status > 599 { fuzzFailure("bad status: " + described) }
        if response.status >= 400 {
            guard case .object(let object)? = try? JSONParser.parse(body), case .string? = object["error_code"],
                case .string? = object["message"]
            else { fuzzFailure("error without MLflow's error JSON: " + described) }
        } else if response.file == nil, response.headers.contains(where: { $0.name == "Content-Type" && $0.value == "application/json" }) {
            guard (try? JSONParser.parse(body)) != nil else { fuzzFailure("200 with invalid JSON: " + described) }
        }
    }

    private func checkFolder(_ request: APIRequest) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let unexpected = entries.filter { !allowedEntries.contains($0) }
        if !unexpected.isEmpty { fuzzFailure("artifact request \(request.method) \(request.rawPath.debugDescription) wrote outside the artifacts root: \(unexpected)") }
    }

    private func recycle() {
        api = nil
        prefixedAPI = nil
        // The artifacts of 20,000 requests can take seconds to delete (over libFuzzer's timeout):
        // they are moved beside the folder and deleted by another thread.
        let trash = folder + "-trash-\(requests)"
        if rename(folder + "/artifacts", trash) == 0 {
            Thread.detachNewThread { try? FileManager.default.removeItem(atPath: trash) }
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            try? FileManager.default.removeItem(atPath: folder + "/" + entry)
        }
        open()
    }
}
