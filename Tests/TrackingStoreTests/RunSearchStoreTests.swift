import MLflowCore
import MLflowTestSupport
import Testing
import TrackingStore

/// Run search compiled to SQL and run against a real database.
@Suite struct RunSearchStoreTests {
    let fixture: StoreFixture
    let experimentID: String
    var store: SQLiteStore { fixture.store }

    /// Five runs: a (acc 0.9, model cnn), b (acc 0.2, model CNN), c (acc NaN, model rnn),
    /// d (no metric, no param), e (deleted, acc 0.5); start times 1...5 apart.
    init() throws {
        fixture = try StoreFixture()
        experimentID = try fixture.store.createExperiment(name: "search", artifactLocation: nil, tags: [])
        let specs: [(String, Double?, String?)] = [("a", 0.9, "cnn"), ("b", 0.2, "CNN"), ("c", .nan, "rnn"), ("d", nil, nil), ("e", 0.5, "cnn")]
        for (index, (name, acc, model)) in specs.enumerated() {
            let run = try fixture.store.createRun(
                NewRun(experimentID: experimentID, userID: "user-\(name)", runName: name, startTime: Int64(1000 + index), tags: [RunTag(key: "team", value: index % 2 == 0 ? "x" : "y")]))
            try fixture.store.logBatch(
                runID: run.info.runID,
                metrics: acc.map { [Metric(key: "acc", value: $0, timestamp: 1, step: 0)] } ?? [],
                params: model.map { [Param(key: "model", value: $0)] } ?? [],
                tags: [])
            if name == "e" { try fixture.store.deleteRun(id: run.info.runID) }
        }
    }

    func names(_ filter: String? = nil, orderBy: [String] = [], view: ViewType = .activeOnly) throws -> [String] {
        try store.searchRuns(RunSearchRequest(experimentIDs: [experimentID], filter: filter, viewType: view, orderBy: orderBy)).items.map(\.info.runName)
    }

    @Test func defaultOrderIsNewestFirst() throws {
        #expect(try names() == ["d", "c", "b", "a"])
    }

    @Test func viewTypes() throws {
        #expect(try names(view: .deletedOnly) == ["e"])
        #expect(try names(view: .all) == ["e", "d", "c", "b", "a"])
    }

    @Test func metricComparisonsUseLatestValueAndNeverMatchNaN() throws {
        #expect(try names("metrics.acc > 0.1") == ["b", "a"])
        #expect(try names("metrics.acc = 0.9") == ["a"])
        #expect(try names("metrics.acc != 0.9") == ["c", "b"])
        #expect(try names("metrics.acc <= 0.2") == ["b"])
    }

    @Test func stringMatchingIsCaseSensitiveExceptILIKE() throws {
        #expect(try names("params.model = 'cnn'") == ["a"])
        #expect(try names("params.model LIKE 'c%'") == ["a"])
        #expect(try names("params.model ILIKE 'c%'") == ["b", "a"])
        #expect(try names("params.model LIKE '_nn'") == ["c", "a"])
        #expect(try names("params.model != 'cnn'") == ["c", "b"])
    }

    @Test func likeTreatsGlobCharactersLiterally() throws {
        let run = try fixture.makeRun(experimentID: experimentID, name: "glob")
        try fixture.setTag(run.info.runID, "pattern", "a*b?[c]")
        #expect(try names("tags.pattern LIKE 'a*b?[c]'") == ["glob"])
        #expect(try names("tags.pattern LIKE 'a%'") == ["glob"])
        #expect(try names("tags.pattern LIKE 'ax%'").isEmpty)
    }

    @Test func isNullFindsRunsWithoutTheKey() throws {
        #expect(try names("params.model IS NULL") == ["d"])
        #expect(try names("params.model IS NOT NULL") == ["c", "b", "a"])
    }

    @Test func attributes() throws {
        #expect(try names("attributes.run_name = 'b'") == ["b"])
        #expect(try names("status = 'RUNNING'") == ["d", "c", "b", "a"])
        #expect(try names("user_id LIKE 'user-a'") == ["a"])
        #expect(try names("start_time >= 1002") == ["d", "c"])
        #expect(try names("created < 1001") == ["a"])
        #expect(try names("end_time > 0").isEmpty)
    }

    @Test func runIDLists() throws {
        let all = try store.searchRuns(RunSearchRequest(experimentIDs: [experimentID])).items
        let ids = all.prefix(2).map(\.info.runID)
        #expect(try names("run_id IN ('\(ids[0])', '\(ids[1])')") == ["d", "c"])
        #expect(try names("run_id NOT IN ('\(ids[0])')") == ["c", "b", "a"])
    }

    @Test func datasets() throws {
        let run = try fixture.makeRun(experimentID: experimentID, name: "with-data")
        let dataset = Dataset(name: "iris", digest: "abc", sourceType: "local", source: "{}", schema: nil, profile: nil)
        try store.logInputs(runID: run.info.runID, datasets: [DatasetInput(tags: [KeyValue(key: "mlflow.data.context", value: "training")], dataset: dataset)])
        #expect(try names("datasets.name = 'iris'") == ["with-data"])
        #expect(try names("datasets.digest IN ('abc', 'zzz')") == ["with-data"])
        #expect(try names("datasets.context = 'training'") == ["with-data"])
        #expect(try names("datasets.name != 'iris'").isEmpty)
        // NOT IN, as MLflow: runs with some dataset outside the list (not runs without datasets).
        #expect(try names("datasets.name NOT IN ('iris')").isEmpty)
        #expect(try names("datasets.name NOT IN ('other')") == ["with-data"])
    }

    @Test func orderByMetricPutsNaNThenMissingLastInBothDirections() throws {
        #expect(try names(orderBy: ["metrics.acc ASC"]) == ["b", "a", "c", "d"])
        #expect(try names(orderBy: ["metrics.acc DESC"]) == ["a", "b", "c", "d"])
    }

    @Test func orderByParamIsBinaryWithMissingLast() throws {
        #expect(try names(orderBy: ["params.model"]) == ["b", "a", "c", "d"])
        #expect(try names(orderBy: ["params.model DESC"]) == ["c", "a", "b", "d"])
    }

    @Test func tiesBreakByStartTimeDescThenRunID() throws {
        #expect(try names(orderBy: ["tags.team"]) == ["c", "a", "d", "b"])
    }

    @Test func pagingVisitsEveryRunOnce() throws {
        var seen: [String] = []
        var token: String? = nil
        var pages = 0
        repeat {
            let page = try store.searchRuns(RunSearchRequest(experimentIDs: [experimentID], maxResults: 3, pageToken: token))
            seen += page.items.map(\.info.runName)
            token = page.nextPageToken
            pages += 1
        } while token != nil
        #expect(seen == ["d", "c", "b", "a"])
        #expect(pages == 2)
    }

    @Test func searchedRunsCarryTheirData() throws {
        let run = try #require(store.searchRuns(RunSearchRequest(experimentIDs: [experimentID], filter: "run_name = 'a'")).items.first)
        #expect(run.metric("acc")?.value == 0.9)
        #expect(run.param("model") == "cnn")
        #expect(run.tag("team") == "x")
    }

    @Test func noExperimentsMeansNoRuns() throws {
        #expect(try store.searchRuns(RunSearchRequest(experimentIDs: [])).items.isEmpty)
    }

    @Test func maxResultsOutOfRange() {
        expectMLflowError(.invalidParameterValue) { try store.searchRuns(RunSearchRequest(experimentIDs: [experimentID], maxResults: 50001)) }
        expectMLflowError(.invalidParameterValue) { try store.searchRuns(RunSearchRequest(experimentIDs: [experimentID], maxResults: 0)) }
    }

    @Test func tamperedPageToken() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid page token") {
            try store.searchRuns(RunSearchRequest(experimentIDs: [experimentID], pageToken: "not a token!"))
        }
    }

    @Test func filterValuesCannotChangeTheQuery() throws {
        #expect(try names("params.model = 'x'' OR 1=1 --'").isEmpty)
        #expect(try names("tags.`a'; DROP TABLE runs; --` = 'x'").isEmpty)
        #expect(try names().count == 4)
    }
}

@Suite struct ExperimentSearchStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }

    init() throws {
        fixture = try StoreFixture()
        for name in ["alpha", "beta", "Gamma"] {
            let id = try fixture.store.createExperiment(name: name, artifactLocation: nil, tags: [ExperimentTag(key: "kind", value: name.lowercased())])
            if name == "beta" { try fixture.store.deleteExperiment(id: id) }
        }
    }

    func names(_ filter: String? = nil, orderBy: [String] = [], view: ViewType = .activeOnly, max: Int = 100) throws -> [String] {
        try store.searchExperiments(ExperimentSearchRequest(filter: filter, viewType: view, maxResults: max, orderBy: orderBy)).items.map(\.name)
    }

    @Test func defaultOrderIsNewestFirst() throws {
        #expect(try names() == ["Gamma", "alpha", "Default"])
        #expect(try names(view: .all) == ["Gamma", "beta", "alpha", "Default"])
    }

    @Test func filters() throws {
        #expect(try names("name LIKE 'a%'") == ["alpha"])
        #expect(try names("name ILIKE 'g%'") == ["Gamma"])
        #expect(try names("tags.kind = 'gamma'") == ["Gamma"])
        #expect(try names("tags.kind IS NULL") == ["Default"])
        #expect(try names("experiment_id IN ('0', '1')") == ["alpha", "Default"])
    }

    @Test func orderByName() throws {
        #expect(try names(orderBy: ["name"]) == ["Default", "Gamma", "alpha"])
    }

    @Test func paging() throws {
        let first = try store.searchExperiments(ExperimentSearchRequest(maxResults: 2))
        #expect(first.items.map(\.name) == ["Gamma", "alpha"])
        let second = try store.searchExperiments(ExperimentSearchRequest(maxResults: 2, pageToken: first.nextPageToken))
        #expect(second.items.map(\.name) == ["Default"])
        #expect(second.nextPageToken == nil)
    }
}
