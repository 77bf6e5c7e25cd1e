import MLflowCore
import MLflowTestSupport
import Testing

@Suite struct RunSearchParserTests {
    @Test func emptyAndBlankFiltersHaveNoClauses() throws {
        #expect(try RunSearchParser.filter(nil).isEmpty)
        #expect(try RunSearchParser.filter("").isEmpty)
        #expect(try RunSearchParser.filter("   ").isEmpty)
    }

    @Test(arguments: ["=", "!=", "<", "<=", ">", ">="])
    func metricComparators(_ op: String) throws {
        let clauses = try RunSearchParser.filter("metrics.acc \(op) 0.5")
        #expect(clauses == [FilterClause(entity: .metric, key: "acc", comparator: Comparator(rawValue: op)!, value: .number(0.5))])
    }

    @Test func entityAliasesAreAccepted() throws {
        let filter = "metric.a > 1 AND params.b = 'x' AND param.c = 'y' AND parameters.d = 'z' AND tag.e = 'v' AND attr.status = 'FINISHED' AND run.run_name = 'n'"
        let entities = try RunSearchParser.filter(filter).map(\.entity)
        #expect(entities == [.metric, .parameter, .parameter, .parameter, .tag, .attribute, .attribute])
    }

    @Test func keywordsAreCaseInsensitive() throws {
        let clauses = try RunSearchParser.filter("params.a like 'x%' and tags.b ilike 'Y' and tags.c is not null")
        #expect(clauses.map(\.comparator) == [.like, .ilike, .isNotNull])
    }

    @Test func quotedKeysMayHoldDotsSpacesAndDashes() throws {
        let clauses = try RunSearchParser.filter("tags.`mlflow.runName` = 'a' AND metrics.\"error rate\" < 1 AND params.'model-type' = 'b'")
        #expect(clauses.map(\.key) == ["mlflow.runName", "error rate", "model-type"])
    }

    @Test func unquotedDottedKeysKeepTheirDots() throws {
        #expect(try RunSearchParser.filter("tags.mlflow.source.type = 'LOCAL'").first?.key == "mlflow.source.type")
    }

    @Test func stringValuesTakeSingleOrDoubleQuotes() throws {
        let clauses = try RunSearchParser.filter("params.a = 'single' AND params.b = \"double\" AND params.c = 'it''s'")
        #expect(clauses.map(\.value) == [.string("single"), .string("double"), .string("it's")])
    }

    @Test func negativeAndExponentNumbers() throws {
        let clauses = try RunSearchParser.filter("metrics.a > -1.5 AND metrics.b < 1e-3")
        #expect(clauses.map(\.value) == [.number(-1.5), .number(0.001)])
    }

    @Test func attributesAndTheirAliases() throws {
        let clauses = try RunSearchParser.filter(
            "attributes.run_id = 'x' AND `Run name` = 'n' AND created > 5 AND Created >= 6 AND start_time < 7 AND end_time <= 8 AND user_id != 'u' AND artifact_uri LIKE 'm%'")
        #expect(clauses.map(\.key) == ["run_id", "run_name", "start_time", "start_time", "start_time", "end_time", "user_id", "artifact_uri"])
    }

    @Test func runIDInAndNotInLists() throws {
        let clauses = try RunSearchParser.filter("attributes.run_id IN ('a', 'b') AND run_id NOT IN ('c')")
        #expect(clauses == [
            FilterClause(entity: .attribute, key: "run_id", comparator: .isIn, value: .list(["a", "b"])),
            FilterClause(entity: .attribute, key: "run_id", comparator: .notIn, value: .list(["c"])),
        ])
    }

    @Test func datasetKeys() throws {
        let clauses = try RunSearchParser.filter("datasets.name = 'd' AND dataset.digest IN ('x', 'y') AND datasets.context LIKE 'train%'")
        #expect(clauses.map(\.entity) == [.dataset, .dataset, .dataset])
        #expect(clauses.map(\.key) == ["name", "digest", "context"])
    }

    @Test func isNullOnParamsAndTags() throws {
        let clauses = try RunSearchParser.filter("params.a IS NULL AND tags.b IS NOT NULL")
        #expect(clauses.map(\.comparator) == [.isNull, .isNotNull])
        #expect(clauses.map(\.value) == [.none, .none])
    }

    // MARK: - Errors

    @Test func orIsRejectedNamingTheToken() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid clause(s) in filter string: 'OR' at position 14") {
            try RunSearchParser.filter("metrics.a > 1 OR metrics.b > 2")
        }
    }

    @Test func unknownEntity() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid entity type 'foo'") { try RunSearchParser.filter("foo.a = 'x'") }
    }

    @Test func unknownAttribute() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid attribute key 'colour'") { try RunSearchParser.filter("colour = 'x'") }
    }

    @Test func quotedMetricValue() {
        expectMLflowError(.invalidParameterValue, containing: "Expected numeric value type for metric") { try RunSearchParser.filter("metrics.a > '1'") }
    }

    @Test func unquotedParamValue() {
        expectMLflowError(.invalidParameterValue, containing: "Expected a quoted string value for parameter") { try RunSearchParser.filter("params.a = 1") }
    }

    @Test func likeOnMetricIsRejected() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid comparator 'LIKE'") { try RunSearchParser.filter("metrics.a LIKE '1'") }
    }

    @Test func isNullOnlyForParamsAndTags() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid comparator 'IS NULL'") { try RunSearchParser.filter("metrics.a IS NULL") }
        expectMLflowError(.invalidParameterValue, containing: "Invalid comparator 'IS NULL'") { try RunSearchParser.filter("status IS NULL") }
    }

    @Test func inListOnlyForRunID() {
        expectMLflowError(.invalidParameterValue, containing: "Only the 'run_id' attribute") { try RunSearchParser.filter("status IN ('a')") }
    }

    @Test func emptyInList() {
        expectMLflowError(.invalidParameterValue) { try RunSearchParser.filter("run_id IN ()") }
    }

    @Test func numericAttributeNeedsANumber() {
        expectMLflowError(.invalidParameterValue, containing: "numeric attribute: start_time") { try RunSearchParser.filter("start_time > 'x'") }
    }

    @Test func unterminatedString() {
        expectMLflowError(.invalidParameterValue, containing: "Unterminated quoted string") { try RunSearchParser.filter("params.a = 'x") }
    }

    @Test func unexpectedCharacterNamesItsPosition() {
        expectMLflowError(.invalidParameterValue, containing: "Unexpected character ';' at position 14") { try RunSearchParser.filter("metrics.a > 1 ; DROP TABLE runs") }
    }

    @Test func danglingAnd() {
        expectMLflowError(.invalidParameterValue, containing: "after 'AND'") { try RunSearchParser.filter("metrics.a > 1 AND") }
    }

    @Test func missingValue() {
        expectMLflowError(.invalidParameterValue, containing: "Expected a value") { try RunSearchParser.filter("metrics.a >") }
    }

    // MARK: - order_by

    @Test func orderByDirections() throws {
        let keys = try RunSearchParser.orderBy(["metrics.acc DESC", "params.model", "tags.`a b` asc", "created DESC"])
        #expect(keys == [
            OrderKey(entity: .metric, key: "acc", ascending: false),
            OrderKey(entity: .parameter, key: "model", ascending: true),
            OrderKey(entity: .tag, key: "a b", ascending: true),
            OrderKey(entity: .attribute, key: "start_time", ascending: false),
        ])
    }

    @Test func orderByTheSameFieldTwiceIsA400() {
        expectMLflowError(.invalidParameterValue, containing: "duplicate fields") {
            try RunSearchParser.orderBy(["attributes.start_time", "created DESC"])
        }
    }

    @Test func orderByWithAnUnknownDirection() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid ordering key") { try RunSearchParser.orderBy(["metrics.a UP"]) }
    }

    @Test func orderByWithTrailingWords() {
        expectMLflowError(.invalidParameterValue, containing: "Could not be parsed") { try RunSearchParser.orderBy(["metrics.a DESC x"]) }
    }

    @Test func orderByUnknownAttribute() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid attribute key") { try RunSearchParser.orderBy(["colour"]) }
    }
}
