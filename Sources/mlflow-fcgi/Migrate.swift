import ArgumentParser
import TrackingStore

/// `mlflow-fcgi migrate`: creates the database or brings its schema up to date.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the database or upgrade its schema, then exit.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        do {
            _ = try SQLiteStore(store.configuration)
        } catch {
            throw CommandError("cannot open \(store.database): \(error)")
        }
        print("\(store.database): schema version \(Schema.currentVersion)")
    }
}
