import Foundation
import MLflowCore
import Testing
import TrackingStore

/// `checkpoint()`, which a worker runs on a timer with SQLite's automatic checkpoints off.
struct CheckpointTests {
    @Test func aCheckpointCopiesTheWALIntoTheDatabaseAndEmptiesIt() throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteStore(SQLiteStoreConfiguration(path: database.path, automaticCheckpoints: false))
        let runID = try store.createRun(NewRun(experimentID: "0")).info.runID
        for step in 0..<2_000 {
            try store.logBatch(runID: runID, metrics: [Metric(key: "m", value: Double(step), timestamp: Int64(step), step: Int64(step))], params: [], tags: [])
        }
        let wal = database.path + "-wal"
        let before = try #require(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int)
        #expect(before > 1_000_000, "the WAL held \(before) bytes")

        #expect(try store.checkpoint())
        #expect(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int == 0)
        let reopened = try database.openStore()
        #expect(try reopened.metricHistory(runID: runID, key: "m", maxResults: nil, pageToken: nil).items.count == 2_000)
    }
}
