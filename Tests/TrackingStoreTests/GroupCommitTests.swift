import Foundation
import Testing
@testable import TrackingStore

/// The process's group commit on a bare table: grouping, answers only after the commit, and
/// failures confined to the write (or, for a failed commit, to the group) they belong to.
struct GroupCommitTests {
    let database: TemporaryDatabase
    let groupCommit: GroupCommit

    init() throws {
        database = try TemporaryDatabase()
        let setup = try SQLiteConnection(path: database.path)
        try setup.execute("PRAGMA journal_mode = WAL")
        try setup.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        try setup.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
        try setup.execute("INSERT INTO parent VALUES (1)")
        let path = database.path
        groupCommit = try GroupCommit.forDatabase(path) {
            let connection = try SQLiteConnection(path: path)
            try connection.execute("PRAGMA foreign_keys = ON")
            return connection
        }
    }

    /// What each write's thread saw: its error, and whether a separate connection read its
    /// row right after `write` returned (true only if the write was already committed).
    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int: (error: String?, visible: Bool)] = [:]
        subscript(id: Int) -> (error: String?, visible: Bool)? {
            get { lock.withLock { values[id] } }
            set { lock.withLock { values[id] = newValue } }
        }
    }

    func committedIDs() throws -> [Int64] {
        var ids: [Int64] = []
        try SQLiteConnection(path: database.path).query("SELECT id FROM item ORDER BY id") { ids.append($0.int64(0)) }
        return ids
    }

    func waitUntilQueued(_ count: Int) throws {
        let deadline = Date().addingTimeInterval(10)
        while groupCommit.counts.queued < count {
            guard Date() < deadline else { throw CancellationError() }
            usleep(1000)
        }
    }

    /// Holds the write connection in a first write until `others` writes are queued behind it,
    /// then lets them all run; `write(id)` is each queued thread's body.
    func runGroup(others ids: [Int], outcomes: Outcomes, _ write: @escaping @Sendable (Int, SQLiteConnection) throws -> Void) throws {
        let firstStarted = DispatchSemaphore(value: 0), releaseFirst = DispatchSemaphore(value: 0)
        let path = database.path
        let group = DispatchGroup()
        let groupCommit = groupCommit
        func launch(_ id: Int, _ body: @escaping @Sendable (SQLiteConnection) throws -> Void) {
            DispatchQueue.global().async(group: group) {
                var error: String?
                do { try groupCommit.write(body) } catch let thrown { error = "\(thrown)" }
                let visible = (try? SQLiteConnection(path: path).first("SELECT 1 FROM item WHERE id = ?", [.integer(Int64(id))]) { _ in true }) ?? nil
                outcomes[id] = (error, visible ?? false)
            }
        }
        launch(1) { connection in
            try connection.run("INSERT INTO item VALUES (1, 1)")
            firstStarted.signal()
            releaseFirst.wait()
        }
        firstStarted.wait()
        for id in ids { launch(id) { try write(id, $0) } }
        try waitUntilQueued(ids.count)
        releaseFirst.signal()
        #expect(group.wait(timeout: .now() + 10) == .success)
    }

    @Test func writesQueuedBehindARunningWriteCommitWithItAndAnswerOnlyAfterTheCommit() throws {
        let outcomes = Outcomes()
        try runGroup(others: [2, 3, 4], outcomes: outcomes) { id, connection in
            try connection.run("INSERT INTO item VALUES (?, 1)", [.integer(Int64(id))])
        }
        #expect(try committedIDs() == [1, 2, 3, 4])
        for id in 1...4 {
            #expect(outcomes[id]?.error == nil)
            #expect(outcomes[id]?.visible == true, "write \(id) returned before its commit")
        }
        #expect(groupCommit.counts.committedGroups < 4, "four writes took \(groupCommit.counts.committedGroups) commits")
        #expect(groupCommit.counts.committedWrites == 4)
    }

    @Test func aFailedWriteRollsBackOnlyItsOwnChanges() throws {
        let outcomes = Outcomes()
        try runGroup(others: [2, 3], outcomes: outcomes) { id, connection in
            try connection.run("INSERT INTO item VALUES (?, 1)", [.integer(Int64(id))])
            if id == 2 { throw SQLiteError(code: 1, message: "write 2 gives up") }
        }
        #expect(try committedIDs() == [1, 3])
        #expect(outcomes[2]?.error?.contains("write 2 gives up") == true)
        #expect(outcomes[1]?.error == nil)
        #expect(outcomes[3]?.error == nil)
    }

    @Test func aCommitThatFailsFailsEveryWriteOfTheGroupAndTheNextGroupStartsClean() throws {
        let outcomes = Outcomes()
        try runGroup(others: [2, 3], outcomes: outcomes) { id, connection in
            // Write 3 breaks a deferred foreign key: each body succeeds, the COMMIT fails.
            try connection.run("INSERT INTO item VALUES (?, ?)", [.integer(Int64(id)), .integer(id == 3 ? 99 : 1)])
        }
        #expect(try committedIDs() == [])
        for id in 1...3 {
            #expect(outcomes[id]?.error?.contains("FOREIGN KEY") == true, "\(String(describing: outcomes[id]))")
        }
        try groupCommit.write { _ = try $0.run("INSERT INTO item VALUES (5, 1)") }
        #expect(try committedIDs() == [5])
    }

    @Test func aWriteAloneCommitsAtOnce() throws {
        try groupCommit.write { _ = try $0.run("INSERT INTO item VALUES (7, 1)") }
        #expect(try committedIDs() == [7])
        #expect(groupCommit.counts.committedGroups == 1)
    }

    @Test func storesOfOneFileShareOneGroupCommitThatClosesWithTheLastOfThem() throws {
        let other = try TemporaryDatabase()
        let path = database.path, otherPath = other.path
        let again = try GroupCommit.forDatabase(path) { try SQLiteConnection(path: path) }
        #expect(again === groupCommit)
        let otherSettings = try GroupCommit.forDatabase(path, settings: "normal") { try SQLiteConnection(path: path) }
        #expect(otherSettings !== groupCommit)
        weak var released: GroupCommit?
        do {
            let separate = try GroupCommit.forDatabase(otherPath) { try SQLiteConnection(path: otherPath) }
            #expect(separate !== groupCommit)
            released = separate
        }
        #expect(released == nil)
    }
}
