import MLflowCore

/// A `runs/search` request, as the API decoded it; the filter and order-by are still text.
public struct RunSearchRequest: Sendable {
    public static let defaultMaxResults = 1000
    public static let maxResultsLimit = 50000

    public var experimentIDs: [String]
    public var filter: String?
    public var viewType: ViewType
    public var maxResults: Int
    public var orderBy: [String]
    public var pageToken: String?

    public init(
        experimentIDs: [String], filter: String? = nil, viewType: ViewType = .activeOnly,
        maxResults: Int = RunSearchRequest.defaultMaxResults, orderBy: [String] = [], pageToken: String? = nil
    ) {
        self.experimentIDs = experimentIDs
        self.filter = filter
        self.viewType = viewType
        self.maxResults = maxResults
        self.orderBy = orderBy
        self.pageToken = pageToken
    }
}

/// An `experiments/search` request.
public struct ExperimentSearchRequest: Sendable {
    public var filter: String?
    public var viewType: ViewType
    public var maxResults: Int
    public var orderBy: [String]
    public var pageToken: String?

    public init(filter: String? = nil, viewType: ViewType = .activeOnly, maxResults: Int, orderBy: [String] = [], pageToken: String? = nil) {
        self.filter = filter
        self.viewType = viewType
        self.maxResults = maxResults
        self.orderBy = orderBy
        self.pageToken = pageToken
    }
}

enum SearchLimits {
    /// `max_results` must be 1...50000 for both searches.
    static func check(_ maxResults: Int) throws {
        if maxResults < 1 || maxResults > RunSearchRequest.maxResultsLimit {
            throw MLflowError(
                .invalidParameterValue,
                "Invalid value \(maxResults) for parameter 'max_results' supplied. It must be between 1 and \(RunSearchRequest.maxResultsLimit).")
        }
    }
}
