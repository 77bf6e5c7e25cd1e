import MLflowCore
import MLflowTestSupport
import Testing

/// log-batch count limits (contract §5.2): exactly at a limit passes, one over fails.
struct BatchLimitTests {
    @Test(arguments: [(1000, 0, 0), (0, 100, 0), (0, 0, 100), (800, 100, 100), (0, 0, 0)])
    func batchesAtTheLimitsPass(metrics: Int, params: Int, tags: Int) throws {
        try Validation.batchSize(metrics: metrics, params: params, tags: tags)
    }

    @Test func oneMetricOverTheLimitFails() {
        expectMLflowError(.invalidParameterValue, containing: "at most 1000 metrics") {
            try Validation.batchSize(metrics: 1001, params: 0, tags: 0)
        }
    }

    @Test func oneParamOverTheLimitFails() {
        expectMLflowError(.invalidParameterValue, containing: "A batch logging request can contain at most 100 params") {
            try Validation.batchSize(metrics: 0, params: 101, tags: 0)
        }
    }

    @Test func oneTagOverTheLimitFails() {
        expectMLflowError(.invalidParameterValue, containing: "at most 100 tags") {
            try Validation.batchSize(metrics: 0, params: 0, tags: 101)
        }
    }

    @Test func oneItemOverTheTotalLimitFails() {
        expectMLflowError(.invalidParameterValue, containing: "1000") {
            try Validation.batchSize(metrics: 801, params: 100, tags: 100)
        }
    }

    @Test func duplicateParamKeysAreRejectedWithMLflowWording() {
        let params = [Param(key: "d", value: "1"), Param(key: "e", value: "2"), Param(key: "d", value: "1")]
        expectMLflowError(.invalidParameterValue, containing: "Duplicate parameter keys have been submitted: ['d']") {
            try Validation.uniqueParamKeys(params)
        }
    }

    @Test func distinctParamKeysPass() throws {
        try Validation.uniqueParamKeys([Param(key: "a", value: "1"), Param(key: "b", value: "1")])
    }
}
