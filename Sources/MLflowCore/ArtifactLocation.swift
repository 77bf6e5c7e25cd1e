/// Where experiments' and runs' artifacts live, in MLflow's proxied `mlflow-artifacts:` scheme
/// (contract §11.1): the client then uploads through this server.
public enum ArtifactLocation {
    public static func forExperiment(_ experimentID: String) -> String {
        "mlflow-artifacts:/\(experimentID)"
    }

    /// `<experiment location>/models/<model id>/artifacts`, as MLflow 3 lays out logged models.
    public static func forLoggedModel(_ modelID: String, experimentLocation: String) -> String {
        let base = experimentLocation.hasSuffix("/") ? String(experimentLocation.dropLast()) : experimentLocation
        return "\(base)/models/\(modelID)/artifacts"
    }

    public static func forRun(_ runID: String, experimentLocation: String) -> String {
        let base = experimentLocation.hasSuffix("/") ? String(experimentLocation.dropLast()) : experimentLocation
        return "\(base)/\(runID)/artifacts"
    }
}
