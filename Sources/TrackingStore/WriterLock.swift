import Foundation

/// One lock per database file per process, held around every write transaction.
///
/// SQLite lets one writer in at a time and makes the others sleep and retry in its busy
/// handler, which hands the lock out unfairly and late. Queueing a process's own threads on
/// this lock instead leaves only one contender per process at SQLite's lock, and a thread
/// waiting here wakes as soon as the previous write in its process commits.
final class WriterLock: @unchecked Sendable {
    private let lock = NSLock()

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: WriterLock] = [:]

    /// The lock shared by every store of this process that opens `path`.
    static func forDatabase(_ path: String) -> WriterLock {
        let key = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        registryLock.lock()
        defer { registryLock.unlock() }
        if let existing = registry[key] { return existing }
        let created = WriterLock()
        registry[key] = created
        return created
    }
}
