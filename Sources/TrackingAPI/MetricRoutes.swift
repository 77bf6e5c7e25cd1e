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
            return .json(streaming: { sink in
                Self.writeHistory(to: sink) { try store.metricHistory(request, each: $0) }
            })
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

    /// `{"metrics": [...], "next_page_token": ...}`, sent in pieces of about 64 KiB as
    /// `points` reads them (it passes each point on and returns the next page's token), so the
    /// answer's length does not weigh on memory. An empty list is left out, as MLflow leaves it
    /// out. When reading fails part-way the document is left unfinished: a client rejects it
    /// and retries, where a closed document would pass for a shorter history.
    static func writeHistory(to sink: (UnsafeRawBufferPointer) -> Void, points: (_ each: (Metric) throws -> Void) throws -> String?) {
        var w = JSONWriter()
        w.beginObject()
        var listed = false
        let nextPageToken: String?
        do {
            nextPageToken = try withoutActuallyEscaping(sink) { sink in
                try points { metric in
                    if !listed {
                        w.key("metrics")
                        w.beginArray()
                        listed = true
                    }
                    w.write(metric)
                    if w.bytes.count >= 64 * 1024 { w.drain(into: sink) }
                }
            }
        } catch {
            return
        }
        if listed { w.endArray() }
        if let nextPageToken { w.field("next_page_token", nextPageToken) }
        w.endObject()
        w.drain(into: sink)
    }
}
