import MLflowCore
import Testing

/// Error code → HTTP status (contract §2.2).
struct ErrorCodeTests {
    @Test(arguments: [
        (ErrorCode.invalidParameterValue, 400),
        (.badRequest, 400),
        (.resourceAlreadyExists, 400),
        (.resourceDoesNotExist, 404),
        (.endpointNotFound, 404),
        (.internalError, 500),
        (.invalidState, 500),
        (.notImplemented, 501),
        (.temporarilyUnavailable, 503),
    ])
    func mapsToMLflowsHTTPStatus(code: ErrorCode, status: Int) {
        #expect(code.httpStatus == status)
    }

    @Test func rawValuesAreTheWireNames() {
        #expect(ErrorCode.resourceDoesNotExist.rawValue == "RESOURCE_DOES_NOT_EXIST")
        #expect(ErrorCode.resourceAlreadyExists.rawValue == "RESOURCE_ALREADY_EXISTS")
        #expect(ErrorCode.invalidParameterValue.rawValue == "INVALID_PARAMETER_VALUE")
        #expect(ErrorCode.temporarilyUnavailable.rawValue == "TEMPORARILY_UNAVAILABLE")
        #expect(ErrorCode.endpointNotFound.rawValue == "ENDPOINT_NOT_FOUND")
    }

    @Test func missingParameterWording() {
        let error = MLflowError.missingParameter("timestamp")
        #expect(error.code == .invalidParameterValue)
        #expect(error.message.hasPrefix("Missing value for required parameter 'timestamp'"))
    }

    @Test func notFoundWordings() {
        #expect(MLflowError.runNotFound("abc").message == "Run with id=abc not found")
        #expect(MLflowError.runNotFound("abc").code == .resourceDoesNotExist)
        #expect(MLflowError.experimentNotFound("999").message == "No Experiment with id=999 exists")
    }
}
