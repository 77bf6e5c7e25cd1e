import Foundation
import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// A unique folder under the system temporary directory holding one test's database; the
/// folder is removed when the value is released.
final class TemporaryDatabase {
    let folder: URL
    var path: String { folder.appendingPathComponent("mlflow.sqlite").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("mlflow-fcgi-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A store on this database; opening it creates or migrates the file.
    func openStore(busyTimeoutMilliseconds: Int32 = 10_000, clock: TestClock = TestClock()) throws -> SQLiteStore {
        try SQLiteStore(
            SQLiteStoreConfiguration(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds),
            clock: { clock.tick() })
    }
}

/// A clock that starts at a fixed time and moves forward by one millisecond per reading.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    init(start: Int64 = 1_700_000_000_000) { now = start }

    func tick() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        now += 1
        return now
    }

    /// Jumps ahead so the next reading is clearly later than any earlier one.
    func advance(by milliseconds: Int64) {
        lock.lock()
        defer { lock.unlock() }
        now += milliseconds
    }
}

/// One test's store on its own fresh database.
struct StoreFixture {
    let database: TemporaryDatabase
    let clock: TestClock
    let store: SQLiteStore

    init(busyTimeoutMilliseconds: Int32 = 10_000) throws {
        database = try TemporaryDatabase()
        clock = TestClock()
        store = try database.openStore(busyTimeoutMilliseconds: busyTimeoutMilliseconds, clock: clock)
    }

    /// A new active run in the default experiment.
    func makeRun(experimentID: String = "0", name: String? = nil, tags: [RunTag] = []) throws -> Run {
        try store.createRun(NewRun(experimentID: experimentID, userID: "tester", runName: name, startTime: 1_700_000_000_000, tags: tags))
    }

    func logMetric(_ runID: String, _ key: String, _ value: Double, timestamp: Int64, step: Int64 = 0) throws {
        try store.logBatch(runID: runID, metrics: [Metric(key: key, value: value, timestamp: timestamp, step: step)], params: [], tags: [])
    }

    func setTag(_ runID: String, _ key: String, _ value: String) throws {
        try store.logBatch(runID: runID, metrics: [], params: [], tags: [RunTag(key: key, value: value)])
    }

    func history(_ runID: String, _ key: String) throws -> [Metric] {
        try store.metricHistory(runID: runID, key: key, maxResults: nil, pageToken: nil).items
    }
}

extension Run {
    func tag(_ key: String) -> String? { tags.first { $0.key == key }?.value }
    func param(_ key: String) -> String? { params.first { $0.key == key }?.value }
    func metric(_ key: String) -> Metric? { metrics.first { $0.key == key } }
}
