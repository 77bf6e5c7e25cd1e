import Dispatch
import Glibc
import TrackingStore

/// Runs SQLite checkpoints for a worker process on a timer, on its own connection, instead of
/// letting every commit attempt one (see `SQLiteStoreConfiguration.automaticCheckpoints`).
///
/// Each worker process runs one; when several do, the later ones find little or nothing to
/// copy. Failures are logged and retried at the next tick.
enum Checkpointer {
    static func start(_ configuration: SQLiteStoreConfiguration, everySeconds interval: UInt32 = 1, log: Log) {
        // A queue of its own: the loop below keeps one of Dispatch's threads for the process's life.
        DispatchQueue(label: "mlflow-fcgi.checkpointer").async {
            let store: SQLiteStore
            do {
                store = try SQLiteStore(configuration)
            } catch {
                log(.error, "checkpoints disabled: \(error)")
                return
            }
            while true {
                sleep(interval)
                do {
                    try store.checkpoint()
                } catch {
                    log(.warning, "checkpoint failed: \(error)")
                }
            }
        }
    }
}

extension SQLiteStoreConfiguration {
    /// This configuration with automatic checkpoints off, for stores of a process that runs
    /// a `Checkpointer`.
    var withCheckpointsOnATimer: SQLiteStoreConfiguration {
        var copy = self
        copy.automaticCheckpoints = false
        return copy
    }
}
