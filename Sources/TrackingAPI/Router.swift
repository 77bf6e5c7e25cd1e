import MLflowCore

/// A handler for one RPC: reads the request's fields and returns a JSON body.
typealias RPCHandler = (RequestFields) throws -> [UInt8]

/// Maps (path, method) to handlers, the way the MLflow server registers its RPCs.
///
/// Every tracking RPC is served under both `/api/2.0/mlflow/` and `/ajax-api/2.0/mlflow/`.
/// An unknown path is 404 `ENDPOINT_NOT_FOUND`; a known path with another method is 405.
struct Router {
    enum Handler {
        /// A JSON RPC: fields from the query string (GET) or the JSON body.
        case rpc(RPCHandler)
        /// Anything else (health, version): gets the raw request.
        case raw((APIRequest) throws -> APIResponse)
    }

    static let rpcRoots = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"]

    private var routes: [String: [String: Handler]] = [:]

    /// Registers `handler` for `method` on `rpc` (e.g. `runs/get`) under both API roots.
    mutating func rpc(_ method: String, _ rpc: String, _ handler: @escaping RPCHandler) {
        for root in Self.rpcRoots { add(method, root + rpc, .rpc(handler)) }
    }

    /// Registers a handler at one exact path.
    mutating func add(_ method: String, _ path: String, _ handler: Handler) {
        routes[path, default: [:]][method] = handler
    }

    enum Match {
        case found(Handler)
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    func match(method: String, path: String) -> Match {
        guard let methods = routes[path] else { return .notFound }
        if let handler = methods[method] { return .found(handler) }
        // HEAD is answered like GET, without a body (the transport drops it).
        if method == "HEAD", let handler = methods["GET"] { return .found(handler) }
        return .methodNotAllowed(allowed: methods.keys.sorted())
    }
}
