/// A logged model's upload state (MLflow 3 `LoggedModelStatus`).
public enum LoggedModelStatus: Int, Sendable, CaseIterable, ProtoEnum {
    case unspecified = 0, pending = 1, ready = 2, uploadFailed = 3

    public var name: String {
        switch self {
        case .unspecified: "LOGGED_MODEL_STATUS_UNSPECIFIED"
        case .pending: "LOGGED_MODEL_PENDING"
        case .ready: "LOGGED_MODEL_READY"
        case .uploadFailed: "LOGGED_MODEL_UPLOAD_FAILED"
        }
    }
}

/// A model logged with MLflow 3's `log_model`: its identity, where its files live, its
/// status, tags and params. Its files are ordinary artifacts under `artifactLocation`.
public struct LoggedModel: Equatable, Sendable {
    public var modelID: String
    public var experimentID: String
    public var name: String
    public var artifactLocation: String
    public var creationTime: Int64
    public var lastUpdatedTime: Int64
    public var status: LoggedModelStatus
    public var lifecycleStage: LifecycleStage
    public var modelType: String?
    public var sourceRunID: String?
    public var statusMessage: String?
    public var tags: [KeyValue]
    public var params: [KeyValue]

    public init(
        modelID: String, experimentID: String, name: String, artifactLocation: String, creationTime: Int64, lastUpdatedTime: Int64,
        status: LoggedModelStatus, lifecycleStage: LifecycleStage, modelType: String?, sourceRunID: String?, statusMessage: String?,
        tags: [KeyValue], params: [KeyValue]
    ) {
        self.modelID = modelID
        self.experimentID = experimentID
        self.name = name
        self.artifactLocation = artifactLocation
        self.creationTime = creationTime
        self.lastUpdatedTime = lastUpdatedTime
        self.status = status
        self.lifecycleStage = lifecycleStage
        self.modelType = modelType
        self.sourceRunID = sourceRunID
        self.statusMessage = statusMessage
        self.tags = tags
        self.params = params
    }
}

/// A model a run produced (`runs/outputs`), at a step.
public struct ModelOutput: Equatable, Sendable {
    public var modelID: String
    public var step: Int64

    public init(modelID: String, step: Int64) {
        self.modelID = modelID
        self.step = step
    }
}
