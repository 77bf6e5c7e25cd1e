import Foundation
import FuzzSupport
import MLflowCore
import TrackingAPI

/// Artifact path normalisation: `ArtifactPath.fromURLPath` (raw URL path after the route) and
/// `fromParameter` (decoded `path=`). Whatever they accept must be a relative path of plain
/// segments (no `.`, `..`, empty, `/`, `\`, NUL or control characters) that reads back the
/// same; and the same text as an artifact URL or `path=` must not reach outside the artifacts
/// root (FuzzServer checks the folder after every artifact write).
///
/// Input: byte 0 picks the check (bit 0: fromURLPath else fromParameter; bit 1: also send it
/// through the API, bits 2-3: PUT, GET, DELETE or list); the rest is the path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArtifactPath(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let choice = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let fromURL = choice & 1 != 0
    if let path = try? (fromURL ? ArtifactPath.fromURLPath(Substring(text)) : ArtifactPath.fromParameter(text)) {
        for segment in path.segments {
            let bad = segment.isEmpty || segment == "." || segment == ".."
                || segment.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
            if bad { fuzzFailure("accepted \(text.debugDescription) with segment \(segment.debugDescription)") }
        }
        guard let again = try? ArtifactPath.fromParameter(path.description), again == path else {
            fuzzFailure("\(text.debugDescription) -> \(path.description.debugDescription) does not read back")
        }
        if !fromURL, path.description != text, path.description + "/" != text {
            fuzzFailure("fromParameter(\(text.debugDescription)) changed it to \(path.description.debugDescription)")
        }
    }
    guard choice & 2 != 0 else { return 0 }
    let server = FuzzServer.shared
    let root = "/api/2.0/mlflow-artifacts/artifacts"
    let request: APIRequest
    switch (Int(choice) >> 2) & 3 {
    case 0: request = APIRequest(method: "PUT", requestURI: root + "/" + text, contentType: "application/octet-stream", contentLength: 3, body: RequestBody(Array("abc".utf8)))
    case 1: request = APIRequest(method: "GET", requestURI: root + "/" + text, contentType: nil, contentLength: 0, body: RequestBody([]))
    case 2: request = APIRequest(method: "DELETE", requestURI: root + "/" + text, contentType: nil, contentLength: 0, body: RequestBody([]))
    default:
        let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        request = APIRequest(method: "GET", path: root, query: "path=" + encoded)
    }
    server.handle(request)
    return 0
}
