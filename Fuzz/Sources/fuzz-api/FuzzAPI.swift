import FuzzSupport
import TrackingAPI

/// Request decoding of every endpoint: the input picks a route and how to send it, the rest is
/// the JSON body or the query string (and, for routes with parameters in the path, the path).
///
/// Input: byte 0 = route (index into `routes`), byte 1 = flags, then the payload. For a route
/// ending in `/`, the payload is `<path rest> 0x01 <body or query>`. In the payload `RUNID`,
/// `EXPID` and `MODELID` become the ids of the run, experiment and logged model the fuzz
/// database holds, so seeds reach past the "does not exist" checks.
///
/// Flags: bit 0 sends the payload as the query string (else as the body); bit 1 a wrong
/// Content-Type (else application/json); bit 2 under the /mlflow prefix through the prefixed
/// API; bit 3 /ajax-api/ instead of /api/; bits 4-6 pick another method (0 = the route's own).
let routes: [(method: String, path: String)] = [
    ("POST", "mlflow/experiments/create"), ("GET", "mlflow/experiments/get"), ("GET", "mlflow/experiments/get-by-name"),
    ("POST", "mlflow/experiments/update"), ("POST", "mlflow/experiments/delete"), ("POST", "mlflow/experiments/restore"),
    ("POST", "mlflow/experiments/set-experiment-tag"), ("POST", "mlflow/experiments/delete-experiment-tag"),
    ("POST", "mlflow/experiments/search"), ("GET", "mlflow/experiments/search"),
    ("POST", "mlflow/runs/create"), ("GET", "mlflow/runs/get"), ("POST", "mlflow/runs/update"), ("POST", "mlflow/runs/delete"),
    ("POST", "mlflow/runs/restore"), ("POST", "mlflow/runs/log-metric"), ("POST", "mlflow/runs/log-parameter"),
    ("POST", "mlflow/runs/set-tag"), ("POST", "mlflow/runs/delete-tag"), ("POST", "mlflow/runs/log-batch"),
    ("POST", "mlflow/runs/log-inputs"), ("POST", "mlflow/runs/outputs"), ("POST", "mlflow/runs/log-model"),
    ("POST", "mlflow/runs/search"), ("GET", "mlflow/metrics/get-history"), ("GET", "mlflow/metrics/get-history-bulk-interval"),
    ("GET", "mlflow/artifacts/list"), ("POST", "mlflow/logged-models"), ("POST", "mlflow/logged-models/search"),
    ("GET", "mlflow/logged-models/"), ("PATCH", "mlflow/logged-models/"), ("DELETE", "mlflow/logged-models/"),
    ("POST", "mlflow/logged-models/"),
    ("GET", "mlflow-artifacts/artifacts"), ("PUT", "mlflow-artifacts/artifacts/"), ("GET", "mlflow-artifacts/artifacts/"),
    ("DELETE", "mlflow-artifacts/artifacts/"), ("POST", "mlflow-artifacts/mpu/"), ("GET", "mlflow-artifacts/presigned/"),
    ("GET", "/health"), ("GET", "/version"), ("GET", "/api/3.0/mlflow/server-info"),
]

let otherMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard bytes.count >= 2 else { return 0 }
    let server = FuzzServer.shared
    let route = routes[Int(bytes[0]) % routes.count]
    let flags = bytes[1]
    let methodChoice = Int(flags >> 4) & 7
    let method = methodChoice == 0 ? route.method : otherMethods[methodChoice]
    let root = flags & 8 != 0 ? "/ajax-api/2.0/" : "/api/2.0/"
    var path = route.path.hasPrefix("/") ? route.path : root + route.path
    var payload = bytes[2...]
    if path.hasSuffix("/") {
        let parts = fuzzSplit(payload, 0x01, into: 2)
        path += String(decoding: server.substitute(parts[0]), as: UTF8.self)
        payload = parts[1]
    }
    let prefixed = flags & 4 != 0
    if prefixed { path = "/mlflow" + path }
    let contentType = flags & 2 != 0 ? "text/plain" : "application/json"
    let request: APIRequest
    if flags & 1 != 0 {
        let query = String(decoding: server.substitute(payload), as: UTF8.self)
        request = APIRequest(method: method, requestURI: path + "?" + query, contentType: contentType, contentLength: 0, body: RequestBody([]))
    } else {
        let body = server.substitute(payload)
        request = APIRequest(method: method, requestURI: path, contentType: contentType, contentLength: body.count, body: RequestBody(body))
    }
    server.handle(request, prefixed: prefixed)
    return 0
}
