import MLflowCore
import MLflowTestSupport
import Testing
@testable import TrackingStore

/// Schema versions and opening a database more than once (design: SQLite).
struct MigrationTests {
    let database: TemporaryDatabase

    init() throws { database = try TemporaryDatabase() }

    private func userVersion() throws -> Int64 {
        let connection = try SQLiteConnection(path: database.path)
        return try #require(try connection.first("PRAGMA user_version") { $0.int64(0) })
    }

    @Test func newDatabaseIsAtTheCurrentVersion() throws {
        _ = try database.openStore()
        #expect(try userVersion() == Int64(Schema.currentVersion))
    }

    @Test func newerDatabaseIsRefusedWithAClearError() throws {
        _ = try database.openStore()
        let newer = Schema.currentVersion + 1
        try SQLiteConnection(path: database.path).execute("PRAGMA user_version = \(newer)")
        let error = #expect(throws: MLflowError.self) { try database.openStore() }
        let message = error?.message ?? ""
        #expect(message.contains("\(newer)"), "\(message)")
        #expect(message.contains("newer"), "\(message)")
        #expect(try userVersion() == Int64(newer))
    }

    @Test func newerEmptyDatabaseIsRefused() throws {
        try SQLiteConnection(path: database.path).execute("PRAGMA user_version = \(Schema.currentVersion + 5)")
        #expect(throws: MLflowError.self) { try database.openStore() }
    }

    @Test func secondOpenDoesNotRerunMigrations() throws {
        let first = try database.openStore(clock: TestClock(start: 1000))
        let created = try first.experiment(id: "0").creationTime
        let id = try first.createExperiment(name: "kept", artifactLocation: nil, tags: [])

        let second = try database.openStore(clock: TestClock(start: 9_000_000))
        #expect(try second.experiment(id: "0").creationTime == created)
        #expect(try second.experiment(id: id).name == "kept")
        #expect(try second.createExperiment(name: "next", artifactLocation: nil, tags: []) == "2")
        #expect(try userVersion() == Int64(Schema.currentVersion))
    }

    @Test func reopeningAfterCloseKeepsData() throws {
        var runID = ""
        do {
            let store = try database.openStore()
            runID = try store.createRun(NewRun(experimentID: "0", runName: "persisted")).info.runID
        }
        let reopened = try database.openStore()
        #expect(try reopened.run(id: runID).info.runName == "persisted")
    }

    @Test func twoStoresOnOneFileSeeEachOthersWrites() throws {
        let one = try database.openStore()
        let two = try database.openStore()
        let experimentID = try one.createExperiment(name: "shared", artifactLocation: nil, tags: [])
        let run = try two.createRun(NewRun(experimentID: experimentID))
        try one.logBatch(runID: run.info.runID, metrics: [Metric(key: "m", value: 3, timestamp: 1, step: 0)], params: [], tags: [])
        try two.logParam(runID: run.info.runID, param: Param(key: "p", value: "x"))
        #expect(try two.experiment(named: "shared").experimentID == experimentID)
        #expect(try one.run(id: run.info.runID).param("p") == "x")
        #expect(try two.run(id: run.info.runID).metric("m")?.value == 3)
    }

    @Test func writeBlockedPastTheBusyTimeoutIsTemporarilyUnavailable() throws {
        let store = try database.openStore(busyTimeoutMilliseconds: 100)
        let blocker = try SQLiteConnection(path: database.path, busyTimeoutMilliseconds: 100)
        try blocker.execute("BEGIN IMMEDIATE")
        defer { try? blocker.execute("ROLLBACK") }
        expectMLflowError(.temporarilyUnavailable) {
            try store.createExperiment(name: "blocked", artifactLocation: nil, tags: [])
        }
        #expect(ErrorCode.temporarilyUnavailable.httpStatus == 503)
    }

    @Test func readsWorkWhileAnotherConnectionHoldsTheWriteLock() throws {
        let store = try database.openStore(busyTimeoutMilliseconds: 100)
        let blocker = try SQLiteConnection(path: database.path, busyTimeoutMilliseconds: 100)
        try blocker.execute("BEGIN IMMEDIATE")
        defer { try? blocker.execute("ROLLBACK") }
        #expect(try store.experiment(id: "0").name == "Default")
    }

    @Test func writesSucceedOnceTheLockIsReleased() throws {
        let store = try database.openStore(busyTimeoutMilliseconds: 100)
        let blocker = try SQLiteConnection(path: database.path)
        try blocker.execute("BEGIN IMMEDIATE")
        _ = try? store.createExperiment(name: "first try", artifactLocation: nil, tags: [])
        try blocker.execute("ROLLBACK")
        #expect(try store.createExperiment(name: "second try", artifactLocation: nil, tags: []) == "1")
    }
}
