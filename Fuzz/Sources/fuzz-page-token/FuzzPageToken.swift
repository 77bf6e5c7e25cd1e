import Foundation
import FuzzSupport
import TrackingAPI

/// Page tokens: every paged endpoint gets the input as its `page_token`, as is or base64-encoded
/// (so the decoder sees arbitrary decoded bytes: JSON or not, huge or negative offsets).
///
/// Input: byte 0 picks the endpoint (mod 6) and, with bit 3, base64-encodes the rest; with
/// bit 4 the token goes in the query string of a GET.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPageToken(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let choice = bytes.first else { return 0 }
    let server = FuzzServer.shared
    let rest = Array(bytes.dropFirst())
    let token = choice & 8 != 0 ? Data(rest).base64EncodedString() : String(decoding: rest, as: UTF8.self)
    let exp = server.experimentID, run = server.runID
    let endpoints: [(rpc: String, body: String, query: String)] = [
        ("runs/search", #"{"experiment_ids": ["\#(exp)"], "max_results": 1, "page_token": \#(jsonString(token))}"#, ""),
        ("experiments/search", #"{"max_results": 1, "page_token": \#(jsonString(token))}"#, "max_results=1"),
        ("metrics/get-history", #"{"run_id": "\#(run)", "metric_key": "loss", "max_results": 1, "page_token": \#(jsonString(token))}"#,
         "run_id=\(run)&metric_key=loss&max_results=1"),
        ("logged-models/search", #"{"experiment_ids": ["\#(exp)"], "max_results": 1, "page_token": \#(jsonString(token))}"#, ""),
        ("artifacts/list", #"{"run_id": "\#(run)", "page_token": \#(jsonString(token))}"#, "run_id=\(run)"),
        ("experiments/search", #"{"max_results": 1000, "page_token": \#(jsonString(token))}"#, "max_results=1000"),
    ]
    let endpoint = endpoints[Int(choice) % endpoints.count]
    let path = "/api/2.0/mlflow/" + endpoint.rpc
    let response: APIResponse
    if choice & 16 != 0 && !endpoint.query.isEmpty {
        let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        response = server.handle(APIRequest(method: "GET", path: path, query: endpoint.query + "&page_token=" + encoded))
    } else {
        let method = endpoint.rpc.hasPrefix("metrics") || endpoint.rpc.hasPrefix("artifacts") ? "GET" : "POST"
        response = server.handle(APIRequest(method: method, path: path, contentType: "application/json", body: Array(endpoint.body.utf8)))
    }
    if response.status != 200 && response.status != 400 { fuzzFailure("page token \(token.debugDescription) on \(endpoint.rpc): \(response.status)") }
    return 0
}
