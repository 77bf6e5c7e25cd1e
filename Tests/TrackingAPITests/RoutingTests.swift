import Foundation
import Testing
import TrackingAPI

/// Paths, methods and the server endpoints (contract §1.1, §14).
struct RoutingTests {
    let fixture: APIFixture
    init() throws { fixture = try APIFixture() }

    @Test(arguments: ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"])
    func rpcsAreServedUnderBothRoots(root: String) throws {
        let response = fixture.send(APIRequest(method: "GET", path: root + "experiments/get", query: "experiment_id=0"))
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json().object("experiment")["name"] as? String == "Default")
    }

    @Test func postRPCsAreServedUnderTheAjaxRoot() throws {
        let response = fixture.send(
            APIRequest(method: "POST", path: "/ajax-api/2.0/mlflow/experiments/create", contentType: "application/json", body: Array(#"{"name": "ajax"}"#.utf8)))
        #expect(response.status == 200, "\(response.text)")
        #expect(try fixture.store.experiment(named: "ajax").experimentID == "1")
    }

    @Test(arguments: ["/api/2.0/mlflow/nope", "/api/2.0/mlflow/experiments", "/nothing", "/", "/api/2.0/mlflow/experiments/get/extra"])
    func unknownPathIs404EndpointNotFoundJSON(path: String) {
        let response = fixture.send(APIRequest(method: "GET", path: path))
        expectError(response, status: 404, code: "ENDPOINT_NOT_FOUND")
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
    }

    @Test func trackingRPCsDoNotExistUnderVersion3() {
        let response = fixture.send(APIRequest(method: "GET", path: "/api/3.0/mlflow/experiments/get", query: "experiment_id=0"))
        expectError(response, status: 404, code: "ENDPOINT_NOT_FOUND")
    }

    @Test func getOnAPostRPCIs405() {
        let response = fixture.get("runs/create", "experiment_id=0")
        #expect(response.status == 405)
        #expect(response.errorCode != nil, "\(response.text)")
    }

    @Test func postOnAGetRPCIs405() {
        #expect(fixture.post("experiments/get", #"{"experiment_id": "0"}"#).status == 405)
    }

    @Test func deleteOnAnRPCIs405() {
        #expect(fixture.send(APIRequest(method: "DELETE", path: "/api/2.0/mlflow/runs/delete")).status == 405)
    }

    @Test func healthAnswersOK() {
        let response = fixture.send(APIRequest(method: "GET", path: "/health"))
        #expect(response.status == 200)
        #expect(response.text == "OK")
        #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
    }

    @Test func versionAnswersTheMLflowVersion() {
        let response = fixture.send(APIRequest(method: "GET", path: "/version"))
        #expect(response.status == 200)
        #expect(response.text == "3.18.0")
    }

    @Test func serverInfoReportsNoMultipartOrPresignedTransfers() throws {
        let response = fixture.send(APIRequest(method: "GET", path: "/api/3.0/mlflow/server-info"))
        #expect(response.status == 200)
        let info = try response.json()
        for key in ["multipart_uploads_enabled", "multipart_downloads_enabled", "artifacts_presigned_only", "workspaces_enabled"] {
            #expect(isJSONBoolean(info[key]) && info[key] as? Bool == false, "\(key) in \(info)")
        }
    }

    @Test func requestURIIsSplitAndPercentDecoded() {
        let request = APIRequest(
            method: "GET", requestURI: "/api/2.0/mlflow/experiments/get%2Dby%2Dname?experiment_name=a%20b", contentType: nil, contentLength: nil,
            body: RequestBody([]))
        #expect(request.path == "/api/2.0/mlflow/experiments/get-by-name")
        #expect(request.query == "experiment_name=a%20b")
    }

    // Found writing the fuzz-request-uri target (issue #7): the URI was split on Characters,
    // and "?" followed by a combining mark is one Character, so the query stayed in the path.
    @Test func requestURIIsSplitAtTheFirstQuestionMark() {
        let request = APIRequest(
            method: "GET", requestURI: "/api/2.0/mlflow/runs/get?\u{301}x=1&run_id=abc?d", contentType: nil, contentLength: nil, body: RequestBody([]))
        #expect(request.rawPath == "/api/2.0/mlflow/runs/get")
        #expect(request.path == "/api/2.0/mlflow/runs/get")
        #expect(request.query == "\u{301}x=1&run_id=abc?d")
        let empty = APIRequest(method: "GET", requestURI: "/health?", contentType: nil, contentLength: nil, body: RequestBody([]))
        #expect(empty.path == "/health" && empty.query == "")
    }

    @Test func requestURIWithoutAQueryHasAnEmptyQuery() {
        let request = APIRequest(method: "GET", requestURI: "/health", contentType: nil, contentLength: nil, body: RequestBody([]))
        #expect(request.path == "/health")
        #expect(request.query == "")
    }
}
