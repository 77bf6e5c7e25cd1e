/// A request as the web server relayed it over FastCGI: the CGI parameters we route on and
/// a reader for the body.
public struct FastCGIRequest {
    public var method: String
    /// `REQUEST_URI`: the raw path and query as the client sent them (nginx, Apache
    /// mod_proxy_fcgi and mod_fcgid all send it alike).
    public var requestURI: String
    public var contentType: String?
    public var contentLength: Int?
    /// Fills the buffer with the next body bytes; 0 at the end. Valid only while the handler
    /// runs; whatever the handler leaves unread is read and dropped afterwards.
    public var readBody: (UnsafeMutableRawBufferPointer) -> Int
}

/// What to send back: a status, headers, and the body bytes or an open file to stream (which
/// the server closes). The body is not sent for HEAD requests.
public struct FastCGIResponse {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var file: (descriptor: Int32, size: Int)?
    /// A body written while it is sent (no Content-Length): called once with a sink for its
    /// successive chunks, unless the request is HEAD.
    public var stream: ((_ sink: (UnsafeRawBufferPointer) -> Void) -> Void)?

    public init(
        status: Int, headers: [(name: String, value: String)], body: [UInt8], file: (descriptor: Int32, size: Int)? = nil,
        stream: ((_ sink: (UnsafeRawBufferPointer) -> Void) -> Void)? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.file = file
        self.stream = stream
    }
}
