extension TrackingAPI {
    /// `/health`, `/version` and the 3.x client's capability probe.
    func registerServerRoutes(_ router: inout Router) {
        router.add("GET", "/health", .raw { _ in .text("OK") })
        router.add("GET", "/version", .raw { _ in .text(TrackingAPI.mlflowVersion) })
        // Multipart and presigned transfers are not offered: the client then uses plain PUT/GET.
        let serverInfo = JSONWriter.response { w in
            w.field("multipart_uploads_enabled", false)
            w.field("multipart_downloads_enabled", false)
            w.field("artifacts_presigned_only", false)
            w.field("workspaces_enabled", false)
            w.field("store_type", "SqlStore")
        }
        router.add("GET", "/api/3.0/mlflow/server-info", .raw { _ in .json(serverInfo) })
    }
}
