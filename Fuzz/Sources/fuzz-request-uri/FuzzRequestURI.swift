import FuzzSupport
import MLflowCore
import TrackingAPI

/// The FastCGI parameter -> request mapping: the CGI parameters a web server relays
/// (REQUEST_METHOD, REQUEST_URI, CONTENT_TYPE, CONTENT_LENGTH) become an APIRequest the way
/// the worker builds it (`APIRequest(method:requestURI:contentType:contentLength:body:)`,
/// CONTENT_LENGTH read with `Int(_:)`), and the API answers it.
///
/// Input: `METHOD 0x00 REQUEST_URI 0x00 CONTENT_TYPE 0x00 CONTENT_LENGTH 0x00 body`; the first
/// byte of the URI part picks the root or the /mlflow-prefixed API (odd: prefixed) and is
/// dropped. CONTENT_LENGTH may lie about the body, as a client may.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestURI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let server = FuzzServer.shared
    let parts = fuzzSplit(bytes[...], 0x00, into: 5)
    let method = String(decoding: parts[0], as: UTF8.self)
    var uriBytes = parts[1]
    let prefixed = (uriBytes.first ?? 0) & 1 != 0
    if !uriBytes.isEmpty { uriBytes = uriBytes.dropFirst() }
    let uri = String(decoding: server.substitute(uriBytes), as: UTF8.self)
    let contentType = parts[2].isEmpty ? nil : String(decoding: parts[2], as: UTF8.self)
    let contentLength = parts[3].isEmpty ? nil : Int(String(decoding: parts[3], as: UTF8.self))
    let body = server.substitute(parts[4])

    let request = APIRequest(method: method, requestURI: uri, contentType: contentType, contentLength: contentLength, body: RequestBody(body))
    // The mapping itself: path and query split at the first `?` byte (as HTTP defines it, whatever
    // follows it), the path percent-decoded.
    let bytesOfURI = Array(uri.utf8)
    let question = bytesOfURI.firstIndex(of: UInt8(ascii: "?"))
    let expectedRaw = String(decoding: bytesOfURI[..<(question ?? bytesOfURI.count)], as: UTF8.self)
    let expectedQuery = question.map { String(decoding: bytesOfURI[($0 + 1)...], as: UTF8.self) } ?? ""
    if request.rawPath != expectedRaw || request.query != expectedQuery {
        fuzzFailure("\(uri.debugDescription) split into \(request.rawPath.debugDescription) ? \(request.query.debugDescription)")
    }
    if request.path != URLDecoding.percentDecoded(Substring(expectedRaw), plusIsSpace: false) {
        fuzzFailure("path \(request.path.debugDescription) of \(uri.debugDescription)")
    }
    server.handle(request, prefixed: prefixed)
    return 0
}
