/// MLflow's error codes (`databricks.proto` `ErrorCode`) that this server emits, with the HTTP
/// status the real MLflow server pairs each one with.
///
/// The raw value is the name clients see in `error_code`. Only codes we actually produce are
/// listed; adding one means choosing its status from contract §2.2.
public enum ErrorCode: String, Sendable, CaseIterable {
    case internalError = "INTERNAL_ERROR"
    case temporarilyUnavailable = "TEMPORARILY_UNAVAILABLE"
    case badRequest = "BAD_REQUEST"
    case invalidParameterValue = "INVALID_PARAMETER_VALUE"
    case endpointNotFound = "ENDPOINT_NOT_FOUND"
    case invalidState = "INVALID_STATE"
    case notImplemented = "NOT_IMPLEMENTED"
    case resourceAlreadyExists = "RESOURCE_ALREADY_EXISTS"
    case resourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST"

    /// The HTTP status MLflow answers this code with (`mlflow/exceptions.py`).
    public var httpStatus: Int {
        switch self {
        case .badRequest, .invalidParameterValue, .resourceAlreadyExists: 400
        case .resourceDoesNotExist, .endpointNotFound: 404
        case .notImplemented: 501
        case .temporarilyUnavailable: 503
        case .internalError, .invalidState: 500
        }
    }
}

/// The one error type every layer throws: an MLflow error code and a human-readable message.
///
/// It is what the client receives as `{"error_code": ..., "message": ...}`. It carries no
/// storage or transport details; the store translates its own failures into these before they
/// leave it.
public struct MLflowError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `Missing value for required parameter 'name'.` — MLflow's wording for an absent field.
    public static func missingParameter(_ name: String) -> MLflowError {
        MLflowError(.invalidParameterValue, "Missing value for required parameter '\(name)'. See the API docs for more information about request parameters.")
    }

    /// `Invalid value ... for parameter ...` — a field present with an unusable value.
    public static func invalidValue(_ name: String, _ value: String, _ reason: String) -> MLflowError {
        MLflowError(.invalidParameterValue, "Invalid value \(value) for parameter '\(name)' supplied: \(reason)")
    }

    public static func runNotFound(_ runID: String) -> MLflowError {
        MLflowError(.resourceDoesNotExist, "Run with id=\(runID) not found")
    }

    public static func experimentNotFound(_ experimentID: String) -> MLflowError {
        MLflowError(.resourceDoesNotExist, "No Experiment with id=\(experimentID) exists")
    }
}
