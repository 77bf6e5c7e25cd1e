import MLflowCore

/// The operations the tracking API needs from storage, in MLflow's terms.
///
/// Implementations enforce the rules that depend on stored state (lifecycle checks, param
/// conflicts, name uniqueness, latest-metric bookkeeping) and throw `MLflowError` only.
/// Stateless input rules (key syntax, lengths, batch sizes) are checked by callers through
/// `Validation`, but implementations must still never store an invalid value.
/// An instance is used by one thread at a time.
public protocol TrackingStore: AnyObject {
    func createExperiment(name: String, artifactLocation: String?, tags: [ExperimentTag]) throws -> String
    func experiment(id: String) throws -> Experiment
    func experiment(named name: String) throws -> Experiment
    func renameExperiment(id: String, newName: String) throws
    func deleteExperiment(id: String) throws
    func restoreExperiment(id: String) throws
    func setExperimentTag(id: String, tag: ExperimentTag) throws
    func deleteExperimentTag(id: String, key: String) throws

    func createRun(_ request: NewRun) throws -> Run
    func run(id: String) throws -> Run
    func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) throws -> RunInfo
    func deleteRun(id: String) throws
    func restoreRun(id: String) throws

    /// Applies params, then metrics, then tags in one transaction; all or nothing.
    func logBatch(runID: String, metrics: [Metric], params: [Param], tags: [RunTag]) throws
    /// One param, with the single-param wording of a conflicting value.
    func logParam(runID: String, param: Param) throws
    func deleteTag(runID: String, key: String) throws
    func logInputs(runID: String, datasets: [DatasetInput], models: [String]) throws
    func logOutputs(runID: String, models: [ModelOutput]) throws
    func appendLoggedModelHistory(runID: String, modelJSON: String) throws

    func searchRuns(_ request: RunSearchRequest) throws -> Page<Run>

    func createLoggedModel(_ request: NewLoggedModel) throws -> LoggedModel
    func loggedModel(id: String, allowDeleted: Bool) throws -> LoggedModel
    func finalizeLoggedModel(id: String, status: LoggedModelStatus) throws -> LoggedModel
    func deleteLoggedModel(id: String) throws
    func setLoggedModelTags(id: String, tags: [KeyValue]) throws -> LoggedModel
    func deleteLoggedModelTag(id: String, key: String) throws
    func logLoggedModelParams(id: String, params: [KeyValue]) throws
    func searchLoggedModels(_ request: LoggedModelSearchRequest) throws -> Page<LoggedModel>
    func searchExperiments(_ request: ExperimentSearchRequest) throws -> Page<Experiment>

    func sampledMetricHistory(runIDs: [String], key: String, steps: ClosedRange<Int64>?, maxResults: Int) throws -> [(runID: String, metric: Metric)]

    /// A page of a metric's points in (timestamp, step, value) order, passed to `each` one by
    /// one as they are read (so an answer of any length can be written without holding it);
    /// returns the next page's token. An unknown run has no points.
    func metricHistory(_ request: MetricHistoryRequest, each: (Metric) throws -> Void) throws -> String?
}

extension TrackingStore {
    /// A metric's points in (timestamp, step, value) order, as one page. `maxResults` nil means all.
    public func metricHistory(runID: String, key: String, maxResults: Int?, pageToken: String?) throws -> Page<Metric> {
        var points: [Metric] = []
        let request = try MetricHistoryRequest(runID: runID, key: key, maxResults: maxResults, pageToken: pageToken)
        let next = try metricHistory(request) { points.append($0) }
        return Page(items: points, nextPageToken: next)
    }
}

/// `metrics/get-history`'s arguments, checked: a positive page size (nil: every point) and
/// a well-formed page token. Making one is where bad arguments become 400s.
public struct MetricHistoryRequest: Sendable {
    public let runID: String
    public let key: String
    public let maxResults: Int?
    let offset: Int

    public init(runID: String, key: String, maxResults: Int?, pageToken: String?) throws {
        if let maxResults, maxResults <= 0 {
            throw MLflowError.invalidValue("max_results", "\(maxResults)", "max_results must be a positive integer.")
        }
        self.runID = runID
        self.key = key
        self.maxResults = maxResults
        offset = try PageToken.offset(from: pageToken)
    }
}

/// What `createRun` needs; unset fields take MLflow's defaults.
public struct NewRun: Sendable {
    public var experimentID: String
    public var userID: String
    public var runName: String?
    public var startTime: Int64
    public var tags: [RunTag]

    public init(experimentID: String, userID: String = "", runName: String? = nil, startTime: Int64 = 0, tags: [RunTag] = []) {
        self.experimentID = experimentID
        self.userID = userID
        self.runName = runName
        self.startTime = startTime
        self.tags = tags
    }
}

/// One page of results and the token for the next page (nil on the last page).
public struct Page<Item> {
    public var items: [Item]
    public var nextPageToken: String?

    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}
