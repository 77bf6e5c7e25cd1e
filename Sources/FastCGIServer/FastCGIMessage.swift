/// A request as the web server relayed it over FastCGI: the CGI parameters we route on and
/// the whole body.
public struct FastCGIRequest {
    public var method: String
    /// `REQUEST_URI`: the raw path and query as the client sent them (nginx, Apache
    /// mod_proxy_fcgi and mod_fcgid all send it alike).
    public var requestURI: String
    public var contentType: String?
    public var body: [UInt8]
    /// The body was longer than the server's limit; it was read and dropped.
    public var bodyTooLarge: Bool
}

/// What to send back: a status, headers and body. The body is not sent for HEAD requests.
public struct FastCGIResponse {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
