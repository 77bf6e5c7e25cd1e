/// One HTTP request as the API sees it: the seam between the transport (FastCGI, or a test)
/// and the MLflow handlers.
///
/// `path` is percent-decoded and still carries any deployment URL prefix; `query` is the raw
/// query string. It holds no socket or connection state.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var query: String
    public var contentType: String?
    public var body: [UInt8]
    /// Set by the transport when the body was larger than it accepts; `body` is then empty.
    public var bodyTooLarge: Bool

    public init(method: String, path: String, query: String = "", contentType: String? = nil, body: [UInt8] = [], bodyTooLarge: Bool = false) {
        self.method = method
        self.path = path
        self.query = query
        self.contentType = contentType
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }
}

/// The answer to an `APIRequest`: status, headers, body bytes.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A 200 JSON answer.
    static func json(_ body: [UInt8]) -> APIResponse {
        APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }

    static func text(_ text: String) -> APIResponse {
        APIResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }
}

extension APIRequest {
    /// A request from the raw `REQUEST_URI` a web server relays: the path is split from the
    /// query string and percent-decoded.
    public init(method: String, requestURI: String, contentType: String?, body: [UInt8], bodyTooLarge: Bool = false) {
        let parts = requestURI.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.init(
            method: method,
            path: URLDecoding.percentDecoded(parts.first ?? "", plusIsSpace: false),
            query: parts.count > 1 ? String(parts[1]) : "",
            contentType: contentType, body: body, bodyTooLarge: bodyTooLarge)
    }
}
