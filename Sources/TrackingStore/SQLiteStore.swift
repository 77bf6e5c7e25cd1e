import Foundation
import MLflowCore

/// How hard SQLite works to keep a commit: `PRAGMA synchronous` under WAL.
///
/// `.full` syncs the WAL on every commit, so an acknowledged write survives a power loss;
/// `.normal` survives a killed process but may lose the last commits when the machine dies.
public enum Durability: String, Sendable, CaseIterable {
    case full, normal
}

/// Settings for opening a `SQLiteStore`.
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

/// The SQLite implementation of `TrackingStore`: one connection, WAL mode, every write in a
/// `BEGIN IMMEDIATE` transaction, statements prepared once and cached.
///
/// Several instances (threads, processes) may share one file. An instance itself is not
/// thread-safe. It does not serve artifacts or know about HTTP.
public final class SQLiteStore: TrackingStore {
    let db: SQLiteConnection
    private let writerLock: WriterLock
    let clock: @Sendable () -> Int64

    /// Opens the database, switching it to WAL and applying pending migrations.
    public init(_ configuration: SQLiteStoreConfiguration, clock: @escaping @Sendable () -> Int64 = SQLiteStore.nowMilliseconds) throws {
        self.clock = clock
        writerLock = WriterLock.forDatabase(configuration.path)
        do {
            db = try SQLiteConnection(path: configuration.path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute("PRAGMA synchronous = \(configuration.durability.rawValue.uppercased())")
            try db.execute("PRAGMA foreign_keys = OFF")
            if !configuration.automaticCheckpoints { try db.execute("PRAGMA wal_autocheckpoint = 0") }
            try Schema.migrate(db, now: clock())
        } catch let error as SQLiteError {
            throw error.asMLflowError
        }
    }

    /// Milliseconds since the Unix epoch.
    @Sendable public static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Runs `body` in a write transaction, translating SQLite failures.
    func write<T>(_ body: () throws -> T) throws -> T {
        do {
            return try writerLock.withLock { try db.writeTransaction(body) }
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
    /// Copies the WAL into the database and truncates it (`wal_checkpoint(TRUNCATE)`): waits,
    /// through the busy handler, for the writer in progress and for readers of older
    /// snapshots, so it briefly holds up writers. Answers whether it completed.
    @discardableResult
    public func checkpoint() throws -> Bool {
        do {
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
