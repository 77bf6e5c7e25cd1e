import CSQLite

#if canImport(Glibc)
import Glibc
#endif
import MLflowCore

/// A failure reported by SQLite: its primary result code and message.
///
/// It never leaves the store: `asMLflowError` turns it into what a client may see.
public struct SQLiteError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String

    public var description: String { "SQLite error \(code): \(message)" }

    /// True for the lock-contention codes that a retry can cure.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    /// Busy past the timeout is 503 `TEMPORARILY_UNAVAILABLE` (the client retries it);
    /// anything else is a genuine internal error.
    public var asMLflowError: MLflowError {
        isBusy
            ? MLflowError(.temporarilyUnavailable, "The database is busy. Please retry the request.")
            : MLflowError(.internalError, "Database error: \(message)")
    }
}

/// A value bound to a statement parameter.
public enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null
}

/// One SQLite connection with a cache of prepared statements.
///
/// Not thread-safe: each worker thread owns its own connection (SQLite serialises writers
/// across connections and processes through its file locks). Does not know the schema.
public final class SQLiteConnection {
    private let handle: OpaquePointer
    private var statements: [String: Statement] = [:]

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open database '\(path)': \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 0)
        busyTimeout = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        busyTimeout.pointee = Int64(busyTimeoutMilliseconds) * 1000
        sqlite3_busy_handler(db, BusyRetry.handler, busyTimeout)
    }

    /// The lock timeout in microseconds, read by `BusyRetry.handler`.
    private let busyTimeout: UnsafeMutablePointer<Int64>

    deinit {
        recent.removeAll()
        statements.removeAll()
        sqlite3_close_v2(handle)
        busyTimeout.deallocate()
    }

    /// Runs one or more statements that return no rows (schema, pragmas, transaction control).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// Runs a cached statement with `bindings`, calling `row` for each result row.
    public func query(_ sql: String, _ bindings: [SQLValue] = [], row: (Row) throws -> Void) throws {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        while try statement.step() {
            try row(Row(statement: statement))
        }
    }

    /// The first row mapped by `transform`, or nil when there is none.
    public func first<T>(_ sql: String, _ bindings: [SQLValue] = [], _ transform: (Row) throws -> T) throws -> T? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        return try statement.step() ? transform(Row(statement: statement)) : nil
    }

    /// Runs a cached statement that returns no rows; answers how many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ bindings: [SQLValue] = []) throws -> Int {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The rowid of the last row inserted on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so
    /// the transaction never fails half-way for lack of it. Rolls back when `body` throws.
    public func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try transaction("BEGIN IMMEDIATE", body)
    }

    /// Runs `body` in a deferred (read) transaction: one consistent snapshot for several reads.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try transaction("BEGIN", body)
    }

    private func transaction<T>(_ begin: String, _ body: () throws -> T) throws -> T {
        try run(begin)
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            if isInTransaction { _ = try? run("ROLLBACK") }
            throw error
        }
    }

    /// A direct-mapped front for `statements`, indexed by where the SQL text lives: the
    /// hot statements are literals at fixed addresses, so a lookup is a compare of the same
    /// string instead of hashing its text. The `==` check keeps it right for any string.
    private var recent = [(sql: String, statement: Statement)?](repeating: nil, count: 64)

    private func prepared(_ sql: String) throws -> Statement {
        let slot = sql.utf8.withContiguousStorageIfAvailable { Int(bitPattern: $0.baseAddress) >> 4 & 63 } ?? 0
        if let entry = recent[slot], entry.sql == sql { return entry.statement }
        let statement = try cachedOrNew(sql)
        recent[slot] = (sql, statement)
        return statement
    }

    private func cachedOrNew(_ sql: String) throws -> Statement {
        if let cached = statements[sql] { return cached }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
        }
        let statement = Statement(raw, connection: handle)
        statements[sql] = statement
        return statement
    }
}

/// How a connection waits for a lock another process holds.
///
/// SQLite's own busy timeout sleeps 1, 2, 5, 10 ... up to 100 ms between attempts, so a
/// writer that just missed the lock often waits far longer than the holder needs it (a
/// commit takes well under a millisecond); under steady load from several processes that
/// showed as request latencies of over a second. Retrying every 100 µs at first and then
/// every millisecond hands the lock over promptly, until the timeout passes.
enum BusyRetry {
    static let handler: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { context, attempts in
        guard let timeout = context?.assumingMemoryBound(to: Int64.self).pointee else { return 0 }
        let quickAttempts: Int64 = 10
        let count = Int64(attempts)
        let waited = count < quickAttempts ? count * 100 : quickAttempts * 100 + (count - quickAttempts) * 1000
        if waited >= timeout { return 0 }
        usleep(count < quickAttempts ? 100 : 1000)
        return 1
    }
}

/// A prepared statement owned by a `SQLiteConnection`'s cache.
final class Statement {
    let raw: OpaquePointer
    private let connection: OpaquePointer

    init(_ raw: OpaquePointer, connection: OpaquePointer) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(raw) }

    func bind(_ values: [SQLValue]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .integer(let number): rc = sqlite3_bind_int64(raw, index, number)
            case .real(let number): rc = sqlite3_bind_double(raw, index, number)
            case .text(var text):
                // Bound with its byte length, so text holding NUL characters is kept whole.
                rc = text.withUTF8 { bytes in
                    bytes.isEmpty
                        ? sqlite3_bind_text(raw, index, "", 0, SQLITE_TRANSIENT)
                        : sqlite3_bind_text(raw, index, bytes.baseAddress, Int32(bytes.count), SQLITE_TRANSIENT)
                }
            case .null: rc = sqlite3_bind_null(raw, index)
            }
            if rc != SQLITE_OK { throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(connection))) }
        }
    }

    /// True when a row is ready, false when done.
    func step() throws -> Bool {
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(connection)))
        }
    }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }
}

/// The current row of a query, read by column index.
public struct Row {
    let statement: Statement

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement.raw, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(statement.raw, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement.raw, column) == SQLITE_NULL }
    public func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement.raw, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement.raw, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
    public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }
}

/// SQLite's "copy the bound text now" destructor marker, which Swift cannot import directly.
let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
