import MLflowCore
import TrackingStore

/// The MLflow tracking REST API over a `TrackingStore`: routes a request, decodes its fields,
/// runs the handler and encodes the answer or the error.
///
/// Synchronous, and used by one thread at a time (like its store); a server runs one per
/// thread. It knows nothing of sockets or FastCGI. Every failure becomes MLflow's error JSON:
/// client mistakes are 4xx, a busy database is 503, and nothing escapes as a crash.
public final class TrackingAPI {
    /// The version `/version` reports: the MLflow release whose API this server follows.
    public static let mlflowVersion = "3.18.0"
    /// Bodies larger than this are refused before parsing.
    public static let maxBodyBytes = 16 * 1024 * 1024

    let store: any TrackingStore
    private let urlPrefix: String
    private var router = Router()

    /// - Parameters:
    ///   - artifacts: where artifacts are stored; without it the artifact routes do not exist.
    ///   - urlPrefix: where the API is mounted (`/mlflow`), stripped from request paths that
    ///     start with it; `""` or `/` for the root.
    public init(store: any TrackingStore, artifacts: ArtifactSettings? = nil, urlPrefix: String = "") {
        self.store = store
        var prefix = urlPrefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if !prefix.isEmpty, !prefix.hasPrefix("/") { prefix = "/" + prefix }
        self.urlPrefix = prefix
        registerServerRoutes(&router)
        registerExperimentRoutes(&router)
        registerRunRoutes(&router)
        registerMetricRoutes(&router)
        registerSearchRoutes(&router)
        registerLoggedModelRoutes(&router)
        if let artifacts { registerArtifactRoutes(&router, artifacts) }
    }

    public func handle(_ request: APIRequest) -> APIResponse {
        let path = routedPath(request.path)
        do {
            switch router.match(method: request.method, path: path, rawPath: routedPath(request.rawPath)) {
            case .found(.raw(let handler), _):
                return try handler(request)
            case .found(.prefixed(let handler), let rest):
                return try handler(request, rest)
            case .found(.rpc(let handler), _):
                return .json(try handler(try fields(of: request, path: path)))
            case .found(.rpcResponse(let handler), _):
                return try handler(try fields(of: request, path: path))
            case .found(.prefixedRPC(let handler), let rest):
                return .json(try handler(try fields(of: request, path: path), rest))
            case .methodNotAllowed(let allowed):
                var response = Self.error(MLflowError(.badRequest, "The method \(request.method) is not allowed for \(path)."), status: 405)
                response.headers.append(("Allow", allowed.joined(separator: ", ")))
                return response
            case .notFound:
                return Self.error(MLflowError(.endpointNotFound, "No API endpoint at \(path)."))
            }
        } catch let error as MLflowError {
            return Self.error(error)
        } catch {
            return Self.error(MLflowError(.internalError, "Unexpected error: \(error)"))
        }
    }

    /// The error JSON with the code's status (or `status` when given).
    static func error(_ error: MLflowError, status: Int? = nil) -> APIResponse {
        APIResponse(status: status ?? error.code.httpStatus, headers: [("Content-Type", "application/json")], body: JSONWriter.errorBody(error))
    }

    private func routedPath(_ path: String) -> String {
        guard !urlPrefix.isEmpty, path.hasPrefix(urlPrefix) else { return path }
        let rest = path.dropFirst(urlPrefix.count)
        if rest.isEmpty { return "/" }
        return rest.hasPrefix("/") ? String(rest) : path
    }

    /// GET reads the query string (or, without one, a JSON body). POST and PUT need a JSON
    /// content type, as MLflow checks; PATCH and DELETE read a body if there is one.
    private func fields(of request: APIRequest, path: String) throws -> RequestFields {
        if request.method == "GET" || request.method == "HEAD" {
            if !request.query.isEmpty { return .query(URLDecoding.queryPairs(request.query)) }
            return try jsonFields(try body(of: request, limit: Self.maxBodyBytes))
        }
        if request.method == "POST" || request.method == "PUT", !(request.contentType.map(Self.isJSON) ?? false) {
            throw MLflowError(.invalidParameterValue, "Bad Request. Content-Type must be one of ['application/json']")
        }
        if path.hasSuffix("/runs/log-batch") {
            guard let body = request.body.readAll(limit: Limits.maxBatchRequestBytes) else {
                throw MLflowError(
                    .invalidParameterValue,
                    "Batched logging API requests must be at most \(Limits.maxBatchRequestBytes) bytes, got a request of size \(request.contentLength.map(String.init) ?? "more").")
            }
            return try jsonFields(body)
        }
        return try jsonFields(try body(of: request, limit: Self.maxBodyBytes))
    }

    private func body(of request: APIRequest, limit: Int) throws -> [UInt8] {
        guard let body = request.body.readAll(limit: limit) else {
            throw MLflowError(.invalidParameterValue, "The request body is larger than \(limit) bytes.")
        }
        return body
    }

    private func jsonFields(_ body: [UInt8]) throws -> RequestFields {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .query([]) }
        do {
            return try .json(try JSONParser.parse(body))
        } catch let error as JSONParseError {
            throw MLflowError(.invalidParameterValue, "Malformed JSON request body at byte \(error.offset): \(error.reason).")
        }
    }

    /// `application/json`, with any parameters (`; charset=utf-8`) and in any case.
    static func isJSON(_ contentType: String) -> Bool {
        let expected = "application/json".utf8
        var matched = expected.startIndex
        for byte in contentType.utf8 {
            if byte == UInt8(ascii: ";") { break }
            if byte == 0x20 || byte == 0x09 { continue }
            let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            guard matched != expected.endIndex, expected[matched] == lowered else { return false }
            matched = expected.index(after: matched)
        }
        return matched == expected.endIndex
    }
}
