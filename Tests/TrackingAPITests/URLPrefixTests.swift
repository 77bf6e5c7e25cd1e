import Testing
import TrackingAPI

/// Mounting the API under a URL prefix, or at the root (contract §1.1).
struct URLPrefixTests {
    @Test(arguments: ["/mlflow", "/mlflow/", "mlflow"])
    func rpcsAreServedUnderThePrefix(prefix: String) throws {
        let fixture = try APIFixture(urlPrefix: prefix)
        let response = fixture.send(APIRequest(method: "GET", path: "/mlflow/api/2.0/mlflow/experiments/get", query: "experiment_id=0"))
        #expect(response.status == 200, "\(response.text)")
    }

    @Test func serverEndpointsAreServedUnderThePrefix() throws {
        let fixture = try APIFixture(urlPrefix: "/mlflow")
        #expect(fixture.send(APIRequest(method: "GET", path: "/mlflow/health")).text == "OK")
        #expect(fixture.send(APIRequest(method: "GET", path: "/mlflow/api/3.0/mlflow/server-info")).status == 200)
    }

    @Test func aPathThatOnlySharesThePrefixTextIsNotStripped() throws {
        let fixture = try APIFixture(urlPrefix: "/mlflow")
        let response = fixture.send(APIRequest(method: "GET", path: "/mlflowx/api/2.0/mlflow/experiments/get", query: "experiment_id=0"))
        #expect(response.status == 404)
    }

    @Test(arguments: ["", "/"])
    func rootMountServesPlainPaths(prefix: String) throws {
        let fixture = try APIFixture(urlPrefix: prefix)
        #expect(fixture.get("experiments/get", "experiment_id=0").status == 200)
        #expect(fixture.send(APIRequest(method: "GET", path: "/health")).text == "OK")
    }

    @Test func rootMountDoesNotServeUnderAnotherPrefix() throws {
        let fixture = try APIFixture()
        let response = fixture.send(APIRequest(method: "GET", path: "/mlflow/api/2.0/mlflow/experiments/get", query: "experiment_id=0"))
        #expect(response.status == 404)
    }
}
