import ArgumentParser

@main
struct MLflowFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlflow-fcgi",
        abstract: "An MLflow-compatible tracking server that runs as a FastCGI worker behind nginx or Apache.",
        subcommands: [Serve.self, Migrate.self, Up.self, Backup.self])
}

/// Reads an environment variable, the fallback of every command-line option.
func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
}

#if canImport(Glibc)
import Glibc
#endif
