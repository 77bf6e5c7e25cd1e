/// Where experiments' and runs' artifacts live, in MLflow's proxied `mlflow-artifacts:` scheme
/// (contract §11.1): the client then uploads through this server.
public enum ArtifactLocation {
    public static func forExperiment(_ experimentID: String) -> String {
        "mlflow-artifacts:/\(experimentID)"
    }

    public static func forRun(_ runID: String, experimentLocation: String) -> String {
        let base = experimentLocation.hasSuffix("/") ? String(experimentLocation.dropLast()) : experimentLocation
        return "\(base)/\(runID)/artifacts"
    }
}
