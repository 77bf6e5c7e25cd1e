/// An enum carried on the wire by name or by its proto number.
public protocol ProtoEnum: CaseIterable, RawRepresentable where RawValue == Int {
    /// The proto name clients send and receive (`"RUNNING"`).
    var name: String { get }
}

extension ProtoEnum {
    /// Accepts the enum name or its number, as protobuf JSON does; `nil` for anything else.
    public init?(name: String) {
        if let match = Self.allCases.first(where: { $0.name == name }) {
            self = match
        } else if let number = Int(name), let match = Self(rawValue: number) {
            self = match
        } else {
            return nil
        }
    }
}

/// A run's status as MLflow's `RunStatus` enum (wire names and proto numbers).
public enum RunStatus: Int, Sendable, CaseIterable, ProtoEnum {
    case running = 1, scheduled = 2, finished = 3, failed = 4, killed = 5

    public var name: String {
        switch self {
        case .running: "RUNNING"
        case .scheduled: "SCHEDULED"
        case .finished: "FINISHED"
        case .failed: "FAILED"
        case .killed: "KILLED"
        }
    }
}

/// Soft-delete state of experiments and runs.
public enum LifecycleStage: String, Sendable {
    case active, deleted
}

/// Which lifecycle stages a search or listing includes.
public enum ViewType: Int, Sendable, CaseIterable, ProtoEnum {
    case activeOnly = 1, deletedOnly = 2, all = 3

    public var name: String {
        switch self {
        case .activeOnly: "ACTIVE_ONLY"
        case .deletedOnly: "DELETED_ONLY"
        case .all: "ALL"
        }
    }

    /// The lifecycle stages this view admits.
    public var stages: [LifecycleStage] {
        switch self {
        case .activeOnly: [.active]
        case .deletedOnly: [.deleted]
        case .all: [.active, .deleted]
        }
    }
}

/// A key/value pair: experiment tags, run tags, params and dataset input tags all have this shape.
public struct KeyValue: Equatable, Hashable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public typealias RunTag = KeyValue
public typealias Param = KeyValue
public typealias ExperimentTag = KeyValue

/// An experiment as the API returns it. `experimentID` is MLflow's decimal string form.
public struct Experiment: Equatable, Sendable {
    public var experimentID: String
    public var name: String
    public var artifactLocation: String
    public var lifecycleStage: LifecycleStage
    public var creationTime: Int64
    public var lastUpdateTime: Int64
    public var tags: [ExperimentTag]

    public init(
        experimentID: String, name: String, artifactLocation: String, lifecycleStage: LifecycleStage,
        creationTime: Int64, lastUpdateTime: Int64, tags: [ExperimentTag]
    ) {
        self.experimentID = experimentID
        self.name = name
        self.artifactLocation = artifactLocation
        self.lifecycleStage = lifecycleStage
        self.creationTime = creationTime
        self.lastUpdateTime = lastUpdateTime
        self.tags = tags
    }
}

/// One metric point. NaN is kept as `Double.nan`; infinities are clamped on write (see
/// `MetricValue.stored`).
public struct Metric: Equatable, Sendable {
    public var key: String
    public var value: Double
    public var timestamp: Int64
    public var step: Int64

    public init(key: String, value: Double, timestamp: Int64, step: Int64) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.step = step
    }

    public static func == (a: Metric, b: Metric) -> Bool {
        a.key == b.key && a.timestamp == b.timestamp && a.step == b.step
            && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }
}

/// A run's identity and status fields (`RunInfo`).
public struct RunInfo: Equatable, Sendable {
    public var runID: String
    public var experimentID: String
    public var runName: String
    public var userID: String
    public var status: RunStatus
    public var startTime: Int64
    public var endTime: Int64?
    public var artifactURI: String
    public var lifecycleStage: LifecycleStage

    public init(
        runID: String, experimentID: String, runName: String, userID: String, status: RunStatus,
        startTime: Int64, endTime: Int64?, artifactURI: String, lifecycleStage: LifecycleStage
    ) {
        self.runID = runID
        self.experimentID = experimentID
        self.runName = runName
        self.userID = userID
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.artifactURI = artifactURI
        self.lifecycleStage = lifecycleStage
    }
}

/// A dataset as logged with `log-inputs`.
public struct Dataset: Equatable, Sendable {
    public var name: String
    public var digest: String
    public var sourceType: String
    public var source: String
    public var schema: String?
    public var profile: String?

    public init(name: String, digest: String, sourceType: String, source: String, schema: String?, profile: String?) {
        self.name = name
        self.digest = digest
        self.sourceType = sourceType
        self.source = source
        self.schema = schema
        self.profile = profile
    }
}

/// A dataset linked to a run, with the link's own tags (e.g. `mlflow.data.context`).
public struct DatasetInput: Equatable, Sendable {
    public var tags: [KeyValue]
    public var dataset: Dataset

    public init(tags: [KeyValue], dataset: Dataset) {
        self.tags = tags
        self.dataset = dataset
    }
}

/// A whole run: info, latest metrics, params, tags and dataset inputs.
public struct Run: Equatable, Sendable {
    public var info: RunInfo
    /// The latest value of each metric key (contract §6.4), not the history.
    public var metrics: [Metric]
    public var params: [Param]
    public var tags: [RunTag]
    public var datasetInputs: [DatasetInput]
    /// Ids of logged models the run used (`inputs.model_inputs`).
    public var modelInputs: [String]
    /// Logged models the run produced (`outputs.model_outputs`).
    public var modelOutputs: [ModelOutput]

    public init(
        info: RunInfo, metrics: [Metric], params: [Param], tags: [RunTag], datasetInputs: [DatasetInput],
        modelInputs: [String] = [], modelOutputs: [ModelOutput] = []
    ) {
        self.info = info
        self.metrics = metrics
        self.params = params
        self.tags = tags
        self.datasetInputs = datasetInputs
        self.modelInputs = modelInputs
        self.modelOutputs = modelOutputs
    }
}
