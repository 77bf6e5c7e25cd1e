import Foundation
import MLflowCore
import Testing
import TrackingStore

/// Several stores (as several worker threads or processes would) on one database file.
struct ConcurrencyTests {
    let database: TemporaryDatabase
    init() throws { database = try TemporaryDatabase() }

    /// Collects errors from concurrent closures.
    final class Errors: @unchecked Sendable {
        private let lock = NSLock()
        private var errors: [String] = []
        func add(_ error: Error) {
            lock.lock()
            errors.append("\(error)")
            lock.unlock()
        }
        var all: [String] {
            lock.lock()
            defer { lock.unlock() }
            return errors
        }
    }

    @Test func storesOpeningAFreshDatabaseTogetherMigrateItOnce() throws {
        let path = database.path
        let errors = Errors()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                let store = try SQLiteStore(SQLiteStoreConfiguration(path: path))
                _ = try store.experiment(id: "0")
            } catch {
                errors.add(error)
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        let store = try database.openStore()
        #expect(try store.experiment(id: "0").name == "Default")
        #expect(try store.createExperiment(name: "first", artifactLocation: nil, tags: []) == "1")
    }

    @Test func concurrentWritersLoseNothing() throws {
        let runID = try database.openStore().createRun(NewRun(experimentID: "0")).info.runID
        let path = database.path
        let errors = Errors()
        let writers = 4
        let pointsPerWriter = 100
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let store = try SQLiteStore(SQLiteStoreConfiguration(path: path))
                for i in 0..<pointsPerWriter {
                    let metric = Metric(key: "m", value: Double(writer), timestamp: Int64(i), step: Int64(writer))
                    try store.logBatch(runID: runID, metrics: [metric], params: [], tags: [])
                }
                try store.logParam(runID: runID, param: Param(key: "writer\(writer)", value: "done"))
            } catch {
                errors.add(error)
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        let store = try database.openStore()
        let history = try store.metricHistory(runID: runID, key: "m", maxResults: nil, pageToken: nil).items
        #expect(history.count == writers * pointsPerWriter)
        #expect(try store.run(id: runID).params.count == writers)
        #expect(try store.run(id: runID).metric("m")?.step == Int64(writers - 1))
    }
}
