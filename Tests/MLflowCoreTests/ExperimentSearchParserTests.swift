import MLflowCore
import MLflowTestSupport
import Testing

@Suite struct ExperimentSearchParserTests {
    @Test func nameTagsAndTimes() throws {
        let clauses = try ExperimentSearchParser.filter(
            "name LIKE 'exp%' AND attribute.name != 'x' AND tags.team = 'a' AND tag.`k.k` IS NULL AND creation_time > 5 AND last_update_time <= 9")
        #expect(clauses.map(\.key) == ["name", "name", "team", "k.k", "creation_time", "last_update_time"])
        #expect(clauses.map(\.comparator) == [.like, .notEqual, .equal, .isNull, .greater, .lessOrEqual])
    }

    @Test func experimentIDsAreIntegersQuotedOrNot() throws {
        let clauses = try ExperimentSearchParser.filter("experiment_id = 3 AND experiment_id IN ('1', '02') AND experiment_id != '4'")
        #expect(clauses.map(\.value) == [.string("3"), .list(["1", "2"]), .string("4")])
    }

    @Test func nonIntegerExperimentID() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid experiment ID 'abc'") { try ExperimentSearchParser.filter("experiment_id = 'abc'") }
    }

    @Test(arguments: ["params.a = 'x'", "metrics.a > 1", "attributes.name = 'x'", "attr.name = 'x'", "run.name = 'x'"])
    func onlyAttributeAndTagSpellingsAreExperimentEntities(_ filter: String) {
        expectMLflowError(.invalidParameterValue, containing: "Valid entity types are ('attribute', 'tag', 'tags')") { try ExperimentSearchParser.filter(filter) }
    }

    @Test func unknownAttribute() {
        expectMLflowError(.invalidParameterValue, containing: "Invalid attribute key 'status'") { try ExperimentSearchParser.filter("status = 'x'") }
    }

    @Test func orderByAttributes() throws {
        let keys = try ExperimentSearchParser.orderBy(["name DESC", "attribute.creation_time", "experiment_id ASC", "last_update_time DESC"])
        #expect(keys.map(\.key) == ["name", "creation_time", "experiment_id", "last_update_time"])
        #expect(keys.map(\.ascending) == [false, true, true, false])
    }

    @Test func orderByTagIsRejected() {
        expectMLflowError(.invalidParameterValue) { try ExperimentSearchParser.orderBy(["tags.a"]) }
    }
}
