import ArgumentParser
import TrackingStore

/// Options naming the database, shared by every command that opens it.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite database file (env MLFLOW_FCGI_DATABASE).")
    var database: String = environment("MLFLOW_FCGI_DATABASE") ?? "mlflow-data/mlflow.db"

    @Option(help: "full: every acknowledged write survives power loss; normal: survives a killed process only (env MLFLOW_FCGI_DURABILITY).")
    var durability: Durability = environment("MLFLOW_FCGI_DURABILITY").flatMap(Durability.init(rawValue:)) ?? .full

    var configuration: SQLiteStoreConfiguration {
        SQLiteStoreConfiguration(path: database, durability: durability)
    }
}

extension Durability: ExpressibleByArgument {}
