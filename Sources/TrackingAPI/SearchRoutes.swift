import MLflowCore
import TrackingStore

extension TrackingAPI {
    /// `runs/search` (POST only) and `experiments/search` (POST and GET), contract §10.
    func registerSearchRoutes(_ router: inout Router) {
        let store = self.store
        router.rpc("POST", "runs/search") { fields in
            let page = try store.searchRuns(
                RunSearchRequest(
                    experimentIDs: try fields.strings("experiment_ids"),
                    filter: try fields.string("filter"),
                    viewType: try fields.enumName("run_view_type").flatMap(ViewType.init(name:)) ?? .activeOnly,
                    maxResults: Int(clamping: try fields.int64("max_results") ?? Int64(RunSearchRequest.defaultMaxResults)),
                    orderBy: try fields.strings("order_by"),
                    pageToken: try fields.string("page_token")))
            return JSONWriter.response { w in
                w.list("runs", page.items) { $0.write($1) }
                if let token = page.nextPageToken { w.field("next_page_token", token) }
            }
        }
        let searchExperiments: RPCHandler = { fields in
            let page = try store.searchExperiments(
                ExperimentSearchRequest(
                    filter: try fields.string("filter"),
                    viewType: try fields.enumName("view_type").flatMap(ViewType.init(name:)) ?? .activeOnly,
                    maxResults: Int(clamping: try fields.requiredInt64("max_results")),
                    orderBy: try fields.strings("order_by"),
                    pageToken: try fields.string("page_token")))
            return JSONWriter.response { w in
                w.list("experiments", page.items) { $0.write($1) }
                if let token = page.nextPageToken { w.field("next_page_token", token) }
            }
        }
        router.rpc("POST", "experiments/search", searchExperiments)
        router.rpc("GET", "experiments/search", searchExperiments)
    }
}
