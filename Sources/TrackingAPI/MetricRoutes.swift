import MLflowCore

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
        router.rpc("GET", "metrics/get-history-bulk-interval") { fields in
            let start = try fields.int64("start_step")
            let end = try fields.int64("end_step")
            if (start == nil) != (end == nil) {
                throw MLflowError(.invalidParameterValue, "If either start step or end step are specified, both must be specified.")
            }
            if let start, let end, start > end {
                throw MLflowError(.invalidParameterValue, "end_step must be greater than start_step. Found start_step=\(start) and end_step=\(end).")
            }
            let points = try store.sampledMetricHistory(
                runIDs: try fields.strings("run_ids"),
                key: try fields.requiredString("metric_key"),
                steps: start.flatMap { start in end.map { start...$0 } },
                maxResults: Int(clamping: try fields.int64("max_results") ?? 2500))
            return JSONWriter.response { w in
                w.list("metrics", points) { $0.write($1.metric, runID: $1.runID) }
            }
        }
    }
}
