import FoundationEssentials
import MLflowCore

/// How hard SQLite works to keep a commit: `PRAGMA synchronous` under WAL.
///
/// `.full` syncs the WAL on every commit, so an acknowledged write survives a power loss;
/// `.normal` survives a killed process but may lose the last commits when the machine dies.
public enum Durability: String, Sendable, CaseIterable {
    case full, normal
}

/// Settings for opening a `SQLiteStore`. Stores of one process that open the same file with
/// the same settings share one write connection and its group commit.
public struct SQLiteStoreConfiguration: Sendable {
    public var path: String
    public var durability: Durability
    public var busyTimeoutMilliseconds: Int32
    /// SQLite's automatic checkpoint after commits. Under continuous writes from several
    /// connections the WAL can never be reset, and every commit then starts a checkpoint (a
    /// sync of the database file). A server turns it off and runs `checkpoint()` on a timer.
    public var automaticCheckpoints: Bool

    public init(path: String, durability: Durability = .full, busyTimeoutMilliseconds: Int32 = 10_000, automaticCheckpoints: Bool = true) {
        self.path = path
        self.durability = durability
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.automaticCheckpoints = automaticCheckpoints
    }
}

/// The SQLite implementation of `TrackingStore`: WAL mode, statements prepared once and
/// cached, reads on the store's own connection, writes through the process's `GroupCommit`
/// (one `BEGIN IMMEDIATE` transaction per group of concurrent writes, each in a savepoint).
///
/// Several instances (threads, processes) may share one file. An instance itself is not
/// thread-safe. It does not serve artifacts or know about HTTP.
public final class SQLiteStore: TrackingStore {
    private let ownConnection: SQLiteConnection
    private let groupCommit: GroupCommit
    /// The write connection while `write` runs its body, so every helper it calls reads the
    /// transaction's own changes.
    private var writeConnection: SQLiteConnection?
    let clock: @Sendable () -> Int64

    /// The connection statements run on: the shared write connection inside `write`, the
    /// store's own otherwise.
    var db: SQLiteConnection { writeConnection ?? ownConnection }

    /// Opens the database, switching it to WAL and applying pending migrations.
    public init(_ configuration: SQLiteStoreConfiguration, clock: @escaping @Sendable () -> Int64 = SQLiteStore.nowMilliseconds) throws {
        self.clock = clock
        do {
            ownConnection = try Self.open(configuration)
            try ownConnection.execute("PRAGMA journal_mode = WAL")
            try Schema.migrate(ownConnection, now: clock())
            let settings = "\(configuration.durability) \(configuration.busyTimeoutMilliseconds) \(configuration.automaticCheckpoints)"
            groupCommit = try GroupCommit.forDatabase(configuration.path, settings: settings) { try Self.open(configuration) }
        } catch let error as SQLiteError {
            throw error.asMLflowError
        }
    }

    private static func open(_ configuration: SQLiteStoreConfiguration) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: configuration.path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        try connection.execute("PRAGMA synchronous = \(configuration.durability.rawValue.uppercased())")
        try connection.execute("PRAGMA foreign_keys = OFF")
        if !configuration.automaticCheckpoints { try connection.execute("PRAGMA wal_autocheckpoint = 0") }
        return connection
    }

    /// Milliseconds since the Unix epoch.
    @Sendable public static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Runs `body` as one write of the process's current commit group and returns once that
    /// group is committed, translating SQLite failures. `body` must not call `write` or `read`.
    func write<T>(_ body: () throws -> T) throws -> T {
        do {
            return try groupCommit.write { connection in
                writeConnection = connection
                defer { writeConnection = nil }
                return try body()
            }
        } catch let error as SQLiteError {
            throw error.asMLflowError
        }
    }

    /// One page of a search: runs `query` (which selects keys) for one row more than the page
    /// holds, to learn whether another page follows, and loads the page's items by key.
    func page<Item>(_ query: SQLQueryBuilder, maxResults: Int, offset: Int, load: ([Int64]) throws -> [Item]) throws -> Page<Item> {
        let (sql, bindings) = query.build(limit: maxResults + 1, offset: offset)
        return try read {
            var keys: [Int64] = []
            try db.query(sql, bindings) { keys.append($0.int64(0)) }
            let hasMore = keys.count > maxResults
            if hasMore { keys.removeLast() }
            return Page(items: try load(keys), nextPageToken: hasMore ? PageToken.encode(offset: offset + maxResults) : nil)
        }
    }

    /// Runs `body` in a read transaction, translating SQLite failures.
    func read<T>(_ body: () throws -> T) throws -> T {
        do {
            return try db.readTransaction(body)
        } catch let error as SQLiteError {
            throw error.asMLflowError
        }
    }
}

extension SQLiteStore {
    /// Copies the WAL into the database and truncates it. A passive pass first copies what
    /// is there without holding anyone up; `wal_checkpoint(TRUNCATE)` then waits, through the
    /// busy handler, for the writer in progress and for readers of older snapshots, and holds
    /// writers only while it copies what was written meanwhile. Answers whether it completed.
    @discardableResult
    public func checkpoint() throws -> Bool {
        do {
            _ = try db.first("PRAGMA wal_checkpoint(PASSIVE)") { _ in () }
            return try db.first("PRAGMA wal_checkpoint(TRUNCATE)") { $0.int64(0) == 0 } ?? false
        } catch let error as SQLiteError {
            throw error.asMLflowError
        }
    }

    /// Writes a consistent copy of the live database to `path` (`VACUUM INTO`), while other
    /// connections keep reading and writing. The target must not exist yet.
    public func backup(to path: String) throws {
        do {
            try db.run("VACUUM INTO ?", [.text(path)])
        } catch let error as SQLiteError {
            throw MLflowError(.internalError, "Backup to \(path) failed: \(error.message)")
        }
    }
}
