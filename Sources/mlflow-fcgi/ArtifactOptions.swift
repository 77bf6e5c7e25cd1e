import ArgumentParser
import FoundationEssentials
import TrackingAPI
import TrackingStore

/// Options for the artifact store and who sends downloads.
struct ArtifactOptions: ParsableArguments {
    @Option(name: .customLong("artifacts-root"), help: "Folder that holds artifacts; default: 'artifacts' beside the database (env MLFLOW_FCGI_ARTIFACTS_ROOT).")
    var artifactsRootOption: String?
    /// The option, or its environment variable.
    var artifactsRoot: String? { artifactsRootOption ?? environment("MLFLOW_FCGI_ARTIFACTS_ROOT") }

    @Option(name: .customLong("x-accel-redirect"), help: "nginx: answer downloads with X-Accel-Redirect to this internal location, e.g. /_mlflow_artifacts/ (env MLFLOW_FCGI_X_ACCEL_REDIRECT).")
    var xAccelRedirectOption: String?
    /// The option, or its environment variable.
    var xAccelRedirect: String? { xAccelRedirectOption ?? environment("MLFLOW_FCGI_X_ACCEL_REDIRECT") }

    @Flag(help: "Apache mod_xsendfile: answer downloads with X-Sendfile.")
    var xSendfile = environment("MLFLOW_FCGI_X_SENDFILE") == "1"

    func validate() throws {
        if xAccelRedirect != nil, xSendfile { throw ValidationError("give --x-accel-redirect or --x-sendfile, not both") }
        if let prefix = xAccelRedirect, !prefix.hasPrefix("/") || !prefix.hasSuffix("/") {
            throw ValidationError("--x-accel-redirect must start and end with '/', e.g. /_mlflow_artifacts/")
        }
    }

    /// - Parameter database: the database path, beside which artifacts go by default.
    func settings(database: String) throws -> ArtifactSettings {
        let root = artifactsRoot ?? (URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("artifacts").path)
        let downloads: ArtifactSettings.Downloads =
            if let prefix = xAccelRedirect { .accelRedirect(prefix: prefix) } else if xSendfile { .sendfile } else { .stream }
        return ArtifactSettings(repository: try LocalArtifactRepository(root: root), downloads: downloads)
    }
}
