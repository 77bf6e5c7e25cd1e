import MLflowCore
import Testing

/// Enum names and numbers as protobuf JSON accepts them (contract §1.3, §4.2).
struct EntityTests {
    @Test(arguments: [("RUNNING", RunStatus.running), ("SCHEDULED", .scheduled), ("FINISHED", .finished), ("FAILED", .failed), ("KILLED", .killed)])
    func runStatusFromName(name: String, status: RunStatus) {
        #expect(RunStatus(name: name) == status)
        #expect(status.name == name)
    }

    @Test(arguments: [("1", RunStatus.running), ("3", .finished), ("5", .killed)])
    func runStatusFromNumber(text: String, status: RunStatus) {
        #expect(RunStatus(name: text) == status)
    }

    @Test(arguments: ["BOGUS", "finished", "0", "6", ""])
    func unknownRunStatusIsNil(text: String) {
        #expect(RunStatus(name: text) == nil)
    }

    @Test func viewTypeFromNameOrNumber() {
        #expect(ViewType(name: "DELETED_ONLY") == .deletedOnly)
        #expect(ViewType(name: "2") == .deletedOnly)
        #expect(ViewType(name: "ALL")?.stages == [.active, .deleted])
        #expect(ViewType(name: "nope") == nil)
    }

    @Test func metricsWithNaNValuesCompareEqual() {
        #expect(Metric(key: "m", value: .nan, timestamp: 1, step: 0) == Metric(key: "m", value: .nan, timestamp: 1, step: 0))
    }

    @Test func artifactLocations() {
        #expect(ArtifactLocation.forExperiment("3") == "mlflow-artifacts:/3")
        #expect(ArtifactLocation.forRun("abc", experimentLocation: "mlflow-artifacts:/3") == "mlflow-artifacts:/3/abc/artifacts")
        #expect(ArtifactLocation.forRun("abc", experimentLocation: "s3://b/p/") == "s3://b/p/abc/artifacts")
    }
}
