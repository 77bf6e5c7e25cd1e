import MLflowCore
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP request as the API sees it: the seam between the transport (FastCGI, or a test)
/// and the MLflow handlers.
///
/// `path` is percent-decoded and `rawPath` is as sent (artifact paths are decoded segment by
/// segment, so an encoded `/` cannot pass for a separator); both still carry any deployment
/// URL prefix. `query` is the raw query string. The body is read on demand. It holds no
/// socket or connection state.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var rawPath: String
    public var query: String
    public var contentType: String?
    /// `CONTENT_LENGTH`, when the transport knows it.
    public var contentLength: Int?
    public var body: RequestBody

    public init(
        method: String, path: String, rawPath: String? = nil, query: String = "", contentType: String? = nil,
        contentLength: Int? = nil, body: RequestBody
    ) {
        self.method = method
        self.path = path
        self.rawPath = rawPath ?? path
        self.query = query
        self.contentType = contentType
        self.contentLength = contentLength
        self.body = body
    }

    /// A request with an in-memory body (tests, small bodies).
    public init(method: String, path: String, query: String = "", contentType: String? = nil, body: [UInt8] = []) {
        self.init(method: method, path: path, query: query, contentType: contentType, contentLength: body.count, body: RequestBody(body))
    }

    /// A request from the raw `REQUEST_URI` a web server relays: the path is split from the
    /// query string and percent-decoded.
    public init(method: String, requestURI: String, contentType: String?, contentLength: Int?, body: RequestBody) {
        // Split at the first "?" byte: splitting Characters would miss a "?" that a combining
        // mark follows ("?\u{301}" is one Character), leaving the query in the path.
        let utf8 = requestURI.utf8
        let question = utf8.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = String(requestURI[..<(question ?? utf8.endIndex)])
        let query = question.map { String(requestURI[utf8.index(after: $0)...]) } ?? ""
        self.init(
            method: method, path: URLDecoding.percentDecoded(Substring(rawPath), plusIsSpace: false), rawPath: rawPath,
            query: query, contentType: contentType, contentLength: contentLength, body: body)
    }
}

/// A request body, read once, in chunks, from wherever the transport keeps it.
///
/// RPC bodies are read whole up to a limit; artifact uploads are streamed to disk chunk by
/// chunk, so a large upload never sits in memory.
public final class RequestBody: @unchecked Sendable {
    /// Fills the buffer with the next bytes; 0 at the end.
    public typealias Reader = (UnsafeMutableRawBufferPointer) -> Int

    private let reader: Reader
    private var finished = false

    public init(reader: @escaping Reader) { self.reader = reader }

    public convenience init(_ bytes: [UInt8]) {
        var offset = 0
        self.init { buffer in
            let count = min(buffer.count, bytes.count - offset)
            buffer.copyBytes(from: bytes[offset..<offset + count])
            offset += count
            return count
        }
    }

    /// Passes each chunk to `consume` until the end; answers the byte count.
    @discardableResult
    public func stream(_ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var total = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
        defer { buffer.deallocate() }
        while !finished {
            let count = reader(buffer)
            if count <= 0 {
                finished = true
                break
            }
            total += count
            try consume(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return total
    }

    /// The whole body if it is at most `limit` bytes; nil when it is longer.
    public func readAll(limit: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        struct TooLong: Error {}
        do {
            try stream { chunk in
                if bytes.count + chunk.count > limit { throw TooLong() }
                bytes.append(contentsOf: chunk)
            }
        } catch {
            return nil
        }
        return bytes
    }
}

/// The answer to an `APIRequest`: status, headers, and body bytes, an open file, or a body
/// written while it is sent, for the transport to send.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A file to send as the body instead of `body`; the transport reads it to its end and
    /// closes it.
    public var file: OpenFile?
    /// A body produced while it is sent, instead of `body`; its length is not known ahead.
    public var stream: StreamedBody?

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], file: OpenFile? = nil, stream: StreamedBody? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.file = file
        self.stream = stream
    }

    /// A 200 JSON answer.
    static func json(_ body: [UInt8]) -> APIResponse {
        APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }

    /// A 200 JSON answer written in pieces while it is sent.
    static func json(streaming write: @escaping (_ sink: (UnsafeRawBufferPointer) -> Void) -> Void) -> APIResponse {
        APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: [], stream: StreamedBody(write: write))
    }

    static func text(_ text: String) -> APIResponse {
        APIResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// The whole body, whichever way it is held (streamed bodies are produced here): for tests
    /// and other in-process callers.
    public func collectedBody() -> [UInt8] {
        guard let stream else { return body }
        var bytes: [UInt8] = []
        stream.write { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// A body written while it is sent, for answers too large to hold at once (a metric history
/// of 100,000 points): `write` passes successive chunks to the sink it is given. It runs
/// after the status and headers are fixed, on the handling thread, once; a failure part-way
/// can only end the body early, so the checks that can fail come before it is made.
public struct StreamedBody: @unchecked Sendable {
    public let write: (_ sink: (UnsafeRawBufferPointer) -> Void) -> Void
}

/// A file descriptor opened for reading and its size, handed to the transport.
public struct OpenFile: Sendable {
    public let descriptor: Int32
    public let size: Int
}
