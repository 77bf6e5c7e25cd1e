extension TrackingAPI {
    /// Metric history (contract §9).
    func registerMetricRoutes(_ router: inout Router) {
        let store = self.store
        router.rpc("GET", "metrics/get-history") { fields in
            let page = try store.metricHistory(
                runID: try fields.runID(),
                key: try fields.requiredString("metric_key"),
                maxResults: try fields.int64("max_results").map { Int(clamping: $0) },
                pageToken: try fields.string("page_token"))
            return JSONWriter.response { w in
                w.list("metrics", page.items) { $0.write($1) }
                if let token = page.nextPageToken { w.field("next_page_token", token) }
            }
        }
    }
}
