import MLflowCore
import TrackingStore

extension TrackingAPI {
    /// MLflow 3's logged models (contract §12): `logged-models` and `logged-models/{id}[/...]`.
    func registerLoggedModelRoutes(_ router: inout Router) {
        let store = self.store
        router.rpc("POST", "logged-models") { fields in
            let model = try store.createLoggedModel(
                NewLoggedModel(
                    experimentID: try fields.requiredString("experiment_id"),
                    name: try fields.string("name"),
                    modelType: try fields.string("model_type"),
                    sourceRunID: try fields.string("source_run_id"),
                    params: try fields.keyValues("params"),
                    tags: try fields.keyValues("tags")))
            return Self.modelResponse(model)
        }
        router.rpc("POST", "logged-models/search") { fields in
            let orderBy = try fields.messages("order_by").map { (field: try $0.requiredString("field_name"), ascending: try $0.bool("ascending") ?? true) }
            let page = try store.searchLoggedModels(
                LoggedModelSearchRequest(
                    experimentIDs: try fields.strings("experiment_ids"),
                    filter: try fields.string("filter"),
                    maxResults: Int(clamping: try fields.int64("max_results") ?? Int64(LoggedModelSearchRequest.defaultMaxResults)),
                    orderBy: orderBy,
                    pageToken: try fields.string("page_token")))
            return JSONWriter.response { w in
                w.list("models", page.items) { $0.write($1) }
                if let token = page.nextPageToken { w.field("next_page_token", token) }
            }
        }
        router.prefixRPC("GET", "logged-models/") { fields, rest in
            let (id, tail) = try Self.modelPath(rest)
            guard tail.isEmpty else { throw Self.noEndpoint(rest) }
            return Self.modelResponse(try store.loggedModel(id: id, allowDeleted: try fields.bool("allow_deleted") ?? false))
        }
        router.prefixRPC("PATCH", "logged-models/") { fields, rest in
            let (id, tail) = try Self.modelPath(rest)
            switch tail {
            case []:
                guard let status = try fields.enumName("status").flatMap(LoggedModelStatus.init(name:)) else {
                    throw MLflowError.missingParameter("status")
                }
                return Self.modelResponse(try store.finalizeLoggedModel(id: id, status: status))
            case ["tags"]:
                return Self.modelResponse(try store.setLoggedModelTags(id: id, tags: try fields.keyValues("tags")))
            default:
                throw Self.noEndpoint(rest)
            }
        }
        router.prefixRPC("DELETE", "logged-models/") { _, rest in
            let (id, tail) = try Self.modelPath(rest)
            switch tail {
            case []: try store.deleteLoggedModel(id: id)
            case let parts where parts.count == 2 && parts[0] == "tags": try store.deleteLoggedModelTag(id: id, key: parts[1])
            default: throw Self.noEndpoint(rest)
            }
            return Self.empty
        }
        router.prefixRPC("POST", "logged-models/") { fields, rest in
            let (id, tail) = try Self.modelPath(rest)
            guard tail == ["params"] else { throw Self.noEndpoint(rest) }
            try store.logLoggedModelParams(id: id, params: try fields.keyValues("params"))
            return Self.empty
        }
    }

    /// `{id}/rest/of/path` split into the id and the decoded remaining segments.
    private static func modelPath(_ rest: Substring) throws -> (String, [String]) {
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map { URLDecoding.percentDecoded($0, plusIsSpace: false) }
        guard let id = parts.first, !id.isEmpty else { throw MLflowError.missingParameter("model_id") }
        return (id, Array(parts.dropFirst()))
    }

    private static func noEndpoint(_ rest: Substring) -> MLflowError {
        MLflowError(.endpointNotFound, "No API endpoint at logged-models/\(rest).")
    }

    private static func modelResponse(_ model: LoggedModel) -> [UInt8] {
        JSONWriter.response { w in
            w.key("model")
            w.write(model)
        }
    }
}
