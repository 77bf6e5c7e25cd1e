import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The process's one write connection to a database file, committing the writes that arrive
/// together in one transaction (group commit).
///
/// Under `synchronous = FULL` every commit costs an fsync, and SQLite lets one writer in at a
/// time, so one transaction per request caps a process at one request per fsync. Here the
/// threads of a process queue for the write connection; each runs its write in a savepoint of
/// the open transaction and, when others are queued behind it, hands the connection on
/// instead of committing. The last of the group commits, and every member answers only after
/// that commit: an acknowledged write is as durable as before, and a failed write rolls back
/// its own savepoint without touching the others'.
///
/// A group holds at most `maximumGroupSize` writes, so a steady stream of writers cannot keep
/// its transaction open for ever. Processes are not grouped together: SQLite's file lock
/// (and the busy handler) still orders the writers of different processes.
final class GroupCommit: @unchecked Sendable {
    /// Writes gathered into one transaction at most.
    static let maximumGroupSize = 64

    private let connection: SQLiteConnection
    /// Guards the state below that is marked so. Two conditions on it, so that handing the
    /// connection on wakes one queued thread, and a commit wakes only its group's members.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let connectionFree = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let groupSettled = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// A thread is using `connection`; guarded by `mutex`.
    private var connectionBusy = false
    /// Threads queued for `connection`; guarded by `mutex`.
    private var queued = 0
    /// The group whose transaction is open, if any; used only by the thread holding `connection`.
    private var openGroup: Group?
    /// Transactions committed and the writes that ran in them (failed ones included); guarded
    /// by `mutex`.
    private var committedGroups = 0, committedWrites = 0

    /// One transaction's members and, once it is settled, its outcome (guarded by `mutex`).
    private final class Group {
        var members = 0
        var outcome: Result<Void, Error>?
    }

    private init(connection: SQLiteConnection) {
        self.connection = connection
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(connectionFree, nil)
        pthread_cond_init(groupSettled, nil)
    }

    deinit {
        pthread_cond_destroy(groupSettled)
        pthread_cond_destroy(connectionFree)
        pthread_mutex_destroy(mutex)
        groupSettled.deallocate()
        connectionFree.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Runs `body` with the write connection inside the current group's transaction and
    /// returns its result once that transaction is committed. Throws the body's own error
    /// (its changes rolled back), or the commit's error when the group could not commit.
    func write<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        acquireConnection()
        let group: Group
        do {
            group = try openGroup ?? beginGroup()
        } catch {
            releaseConnection()
            throw error
        }
        let result = runInSavepoint(body, group: group)
        group.members += 1
        if !shouldHandOver(group) { commit(group) }
        releaseConnection()
        let outcome = waitForOutcome(of: group)
        let value = try result.get()
        try outcome.get()
        return value
    }

    /// Threads waiting for the write connection, and how many groups and writes have been
    /// committed so far: what tests and diagnostics can see of the grouping.
    var counts: (queued: Int, committedGroups: Int, committedWrites: Int) {
        locked { (queued, committedGroups, committedWrites) }
    }

    private func acquireConnection() {
        locked {
            queued += 1
            while connectionBusy { pthread_cond_wait(connectionFree, mutex) }
            queued -= 1
            connectionBusy = true
        }
    }

    private func releaseConnection() {
        locked {
            connectionBusy = false
            pthread_cond_signal(connectionFree)
        }
    }

    /// True when another thread is queued to join this group: it, or one after it, commits.
    private func shouldHandOver(_ group: Group) -> Bool {
        locked { queued > 0 && group.members < Self.maximumGroupSize && group.outcome == nil }
    }

    private func beginGroup() throws -> Group {
        try connection.run("BEGIN IMMEDIATE")
        let group = Group()
        openGroup = group
        return group
    }

    /// Runs `body` in a savepoint; on failure rolls back to it, or, when SQLite has already
    /// abandoned the whole transaction (I/O error, full disk), settles the group as failed.
    private func runInSavepoint<T>(_ body: (SQLiteConnection) throws -> T, group: Group) -> Result<T, Error> {
        do {
            try connection.run("SAVEPOINT write")
        } catch {
            abandon(group, error)
            return .failure(error)
        }
        do {
            let value = try body(connection)
            try connection.run("RELEASE write")
            return .success(value)
        } catch {
            do {
                guard connection.isInTransaction else { throw error }
                try connection.run("ROLLBACK TO write")
                try connection.run("RELEASE write")
            } catch let rollbackError {
                abandon(group, rollbackError)
            }
            return .failure(error)
        }
    }

    private func commit(_ group: Group) {
        guard openGroup === group else { return }
        do {
            try connection.run("COMMIT")
            settle(group, .success(()))
        } catch {
            abandon(group, error)
        }
    }

    /// Rolls back whatever is left of the group's transaction and fails every member.
    private func abandon(_ group: Group, _ error: Error) {
        if connection.isInTransaction { _ = try? connection.run("ROLLBACK") }
        settle(group, .failure(error))
    }

    private func settle(_ group: Group, _ outcome: Result<Void, Error>) {
        openGroup = nil
        locked {
            group.outcome = outcome
            if case .success = outcome {
                committedGroups += 1
                committedWrites += group.members
            }
            pthread_cond_broadcast(groupSettled)
        }
    }

    private func waitForOutcome(of group: Group) -> Result<Void, Error> {
        locked {
            while group.outcome == nil { pthread_cond_wait(groupSettled, mutex) }
            return group.outcome!
        }
    }

    // MARK: One per database file per process

    /// Guarded by `registryLock` (a pthread mutex rather than `Synchronization.Mutex`, whose
    /// futex hand-offs ThreadSanitizer cannot see and reports as races).
    nonisolated(unsafe) private static var registry: [String: WeakReference] = [:]
    nonisolated(unsafe) private static let registryLock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()

    private struct WeakReference {
        weak var groupCommit: GroupCommit?
    }

    /// The group commit shared by every store of this process that opens `path` with the same
    /// `settings` (what its connection is opened with), opening its connection with `open`
    /// when there is none. The connection closes with its last store.
    static func forDatabase(_ path: String, settings: String = "", open: () throws -> SQLiteConnection) rethrows -> GroupCommit {
        let key = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path + "\n" + settings
        pthread_mutex_lock(registryLock)
        defer { pthread_mutex_unlock(registryLock) }
        if let existing = registry[key]?.groupCommit { return existing }
        let created = GroupCommit(connection: try open())
        registry = registry.filter { $0.value.groupCommit != nil }
        registry[key] = WeakReference(groupCommit: created)
        return created
    }
}
