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
        /// A JSON RPC that makes its whole response (a body streamed while it is sent).
        case rpcResponse((RequestFields) throws -> APIResponse)
        /// Anything else (health, version): gets the raw request.
        case raw((APIRequest) throws -> APIResponse)
        /// Every path under a prefix (artifact files): gets the request and the rest of the
        /// raw, still percent-encoded, path after the prefix.
        case prefixed((APIRequest, Substring) throws -> APIResponse)
        /// A JSON RPC with parameters in its path (`logged-models/{id}/tags`): gets the fields
        /// and the raw path after the prefix.
        case prefixedRPC((RequestFields, Substring) throws -> [UInt8])
    }

    static let rpcRoots = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"]

    private var routes: [String: [String: Handler]] = [:]
    private var prefixes: [(prefix: String, methods: [String: Handler])] = []

    /// Registers `handler` for `method` on `rpc` (e.g. `runs/get`) under both API roots.
    mutating func rpc(_ method: String, _ rpc: String, _ handler: @escaping RPCHandler) {
        for root in Self.rpcRoots { add(method, root + rpc, .rpc(handler)) }
    }

    /// Registers an RPC whose handler makes the whole response, under both API roots.
    mutating func rpc(_ method: String, _ rpc: String, answering handler: @escaping (RequestFields) throws -> APIResponse) {
        for root in Self.rpcRoots { add(method, root + rpc, .rpcResponse(handler)) }
    }

    /// Registers a handler at one exact path.
    mutating func add(_ method: String, _ path: String, _ handler: Handler) {
        routes[path, default: [:]][method] = handler
    }

    /// Registers `handler` for `method` on every path that starts with `prefix`.
    mutating func prefix(_ method: String, _ prefix: String, _ handler: @escaping (APIRequest, Substring) throws -> APIResponse) {
        addPrefixed(method, prefix, .prefixed(handler))
    }

    /// Registers an RPC taking parameters from its path under both API roots, for every path
    /// starting with `rpcPrefix` (e.g. `logged-models/`).
    mutating func prefixRPC(_ method: String, _ rpcPrefix: String, _ handler: @escaping (RequestFields, Substring) throws -> [UInt8]) {
        for root in Self.rpcRoots { addPrefixed(method, root + rpcPrefix, .prefixedRPC(handler)) }
    }

    private mutating func addPrefixed(_ method: String, _ prefix: String, _ handler: Handler) {
        if let index = prefixes.firstIndex(where: { $0.prefix == prefix }) {
            prefixes[index].methods[method] = handler
        } else {
            prefixes.append((prefix, [method: handler]))
        }
    }

    enum Match {
        case found(Handler, rest: Substring)
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// Exact routes match the decoded `path`; prefix routes match the raw path.
    func match(method: String, path: String, rawPath: String) -> Match {
        if let methods = routes[path] { return pick(method, methods, rest: "") }
        if let (prefix, methods) = prefixes.first(where: { rawPath.hasPrefix($0.prefix) }) {
            return pick(method, methods, rest: rawPath.dropFirst(prefix.count))
        }
        return .notFound
    }

    private func pick(_ method: String, _ methods: [String: Handler], rest: Substring) -> Match {
        if let handler = methods[method] { return .found(handler, rest: rest) }
        // HEAD is answered like GET, without a body (the transport drops it).
        if method == "HEAD", let handler = methods["GET"] { return .found(handler, rest: rest) }
        return .methodNotAllowed(allowed: methods.keys.sorted())
    }
}
