import MLflowCore
import TrackingStore

extension TrackingAPI {
    /// Metric history (contract §9).
    func registerMetricRoutes(_ router: inout Router) {
        let store = self.store
        router.rpc("GET", "metrics/get-history", answering: { fields in
            let request = try MetricHistoryRequest(
                runID: try fields.runID(),
                key: try fields.requiredString("metric_key"),
                maxResults: try fields.int64("max_results").map { Int(clamping: $0) },
                pageToken: try fields.string("page_token"))
            return .json(streaming: { sink in Self.writeHistory(request, store, to: sink) })
        })
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

    /// `{"metrics": [...], "next_page_token": ...}`, sent in pieces of about 64 KiB as the
    /// points are read, so the answer's length does not weigh on memory. An empty list is
    /// left out, as MLflow leaves it out.
    private static func writeHistory(_ request: MetricHistoryRequest, _ store: any TrackingStore, to sink: (UnsafeRawBufferPointer) -> Void) {
        var w = JSONWriter()
        w.beginObject()
        var listed = false
        let nextPageToken = try? store.metricHistory(request) { metric in
            if !listed {
                w.key("metrics")
                w.beginArray()
                listed = true
            }
            w.write(metric)
            if w.bytes.count >= 64 * 1024 { w.drain(into: sink) }
        }
        if listed { w.endArray() }
        if let token = nextPageToken ?? nil { w.field("next_page_token", token) }
        w.endObject()
        w.drain(into: sink)
    }
}
