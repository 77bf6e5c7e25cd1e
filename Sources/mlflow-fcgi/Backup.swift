import ArgumentParser
import FoundationEssentials
import TrackingStore

/// `mlflow-fcgi backup`: a consistent copy of a database that workers may be using.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to a new file while the server keeps running.",
        discussion: "Uses SQLite's VACUUM INTO: the copy is one consistent snapshot, compacted, and safe to take under load.")

    @OptionGroup var store: StoreOptions

    @Option(help: "The file to write; it must not exist.")
    var to: String

    func run() throws {
        if FileManager.default.fileExists(atPath: to) { throw ValidationError("\(to) already exists") }
        if !FileManager.default.fileExists(atPath: store.database) { throw ValidationError("\(store.database) does not exist") }
        do {
            try SQLiteStore(store.configuration).backup(to: to)
        } catch {
            throw CommandError("cannot back up \(store.database): \(error)")
        }
        print("\(store.database) backed up to \(to)")
    }
}
