import Foundation
import Testing
import TrackingAPI

/// The experiment RPCs end to end through the API (contract §7).
struct ExperimentEndpointTests {
    let fixture: APIFixture
    let id: String

    init() throws {
        fixture = try APIFixture()
        let response = try fixture.post("experiments/create", json: ["name": "exp"])
        id = try #require(try response.json()["experiment_id"] as? String)
    }

    private func experiment() throws -> [String: Any] {
        try fixture.get("experiments/get", "experiment_id=\(id)").json().object("experiment")
    }

    @Test func createdExperimentIsFoundByName() throws {
        let found = try fixture.get("experiments/get-by-name", "experiment_name=exp").json().object("experiment")
        #expect(found["experiment_id"] as? String == id)
    }

    @Test func createWithArtifactLocationKeepsIt() throws {
        let response = try fixture.post("experiments/create", json: ["name": "loc", "artifact_location": "s3://bucket/x"])
        let newID = try #require(try response.json()["experiment_id"] as? String)
        let created = try fixture.get("experiments/get", "experiment_id=\(newID)").json().object("experiment")
        #expect(created["artifact_location"] as? String == "s3://bucket/x")
    }

    @Test func updateRenames() throws {
        let response = fixture.post("experiments/update", #"{"experiment_id": "\#(id)", "new_name": "renamed"}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().isEmpty)
        #expect(try experiment()["name"] as? String == "renamed")
    }

    @Test func updateWithoutNewNameIsA400() {
        expectError(
            fixture.post("experiments/update", #"{"experiment_id": "\#(id)"}"#), status: 400, code: "INVALID_PARAMETER_VALUE",
            containing: "'new_name'")
    }

    @Test func deleteAndRestore() throws {
        #expect(fixture.post("experiments/delete", #"{"experiment_id": "\#(id)"}"#).status == 200)
        #expect(try experiment()["lifecycle_stage"] as? String == "deleted")
        #expect(fixture.post("experiments/restore", #"{"experiment_id": "\#(id)"}"#).status == 200)
        #expect(try experiment()["lifecycle_stage"] as? String == "active")
    }

    @Test func deletingTwiceIs404() {
        _ = fixture.post("experiments/delete", #"{"experiment_id": "\#(id)"}"#)
        expectError(fixture.post("experiments/delete", #"{"experiment_id": "\#(id)"}"#), status: 404, code: "RESOURCE_DOES_NOT_EXIST")
    }

    @Test func restoringAnActiveExperimentIs404() {
        expectError(fixture.post("experiments/restore", #"{"experiment_id": "\#(id)"}"#), status: 404, code: "RESOURCE_DOES_NOT_EXIST")
    }

    @Test func setAndDeleteExperimentTag() throws {
        #expect(fixture.post("experiments/set-experiment-tag", #"{"experiment_id": "\#(id)", "key": "k", "value": "v"}"#).status == 200)
        #expect(try experiment().pairValue("tags", "k") as? String == "v")
        #expect(fixture.post("experiments/delete-experiment-tag", #"{"experiment_id": "\#(id)", "key": "k"}"#).status == 200)
        #expect(try experiment()["tags"] == nil)
    }

    @Test func deletingAMissingExperimentTagIs404() {
        expectError(
            fixture.post("experiments/delete-experiment-tag", #"{"experiment_id": "\#(id)", "key": "k"}"#), status: 404,
            code: "RESOURCE_DOES_NOT_EXIST", containing: "No tag with name: k in experiment with id \(id)")
    }

    @Test func experimentTagWithoutValueIsEmpty() throws {
        #expect(fixture.post("experiments/set-experiment-tag", #"{"experiment_id": "\#(id)", "key": "k"}"#).status == 200)
        #expect(try experiment().pairValue("tags", "k") as? String == "")
    }
}
