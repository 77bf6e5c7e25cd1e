import MLflowCore
import MLflowTestSupport
import Testing

/// The "latest" metric rule (contract §6.4) and infinity clamping (§6.5).
struct LatestMetricTests {
    private func point(_ value: Double, step: Int64, timestamp: Int64) -> Metric {
        Metric(key: "m", value: value, timestamp: timestamp, step: step)
    }

    private func latest(of points: [Metric]) -> Metric {
        points.dropFirst().reduce(points[0]) { current, candidate in
            MetricValue.isNewer(candidate, than: current) ? candidate : current
        }
    }

    @Test func verifiedExampleKeepsTheHighestStep() {
        let points = [
            point(1.5, step: 0, timestamp: 1_700_000_000_001),
            point(0.5, step: 5, timestamp: 1_700_000_000_000),
            point(9.0, step: 4, timestamp: 1_700_000_009_999),
        ]
        #expect(latest(of: points) == point(0.5, step: 5, timestamp: 1_700_000_000_000))
    }

    @Test func higherStepWinsOverLaterTimestamp() {
        #expect(MetricValue.isNewer(point(1, step: 2, timestamp: 10), than: point(1, step: 1, timestamp: 99)))
        #expect(!MetricValue.isNewer(point(1, step: 1, timestamp: 99), than: point(1, step: 2, timestamp: 10)))
    }

    @Test func sameStepLaterTimestampWins() {
        #expect(MetricValue.isNewer(point(0, step: 3, timestamp: 11), than: point(5, step: 3, timestamp: 10)))
    }

    @Test func sameStepAndTimestampLargerValueWins() {
        #expect(MetricValue.isNewer(point(2, step: 3, timestamp: 10), than: point(1, step: 3, timestamp: 10)))
        #expect(!MetricValue.isNewer(point(1, step: 3, timestamp: 10), than: point(2, step: 3, timestamp: 10)))
    }

    @Test func negativeStepsRankBelowZero() {
        #expect(MetricValue.isNewer(point(0, step: 0, timestamp: 0), than: point(0, step: -1, timestamp: 5)))
    }

    @Test func nanRanksAsZeroAboveNegativeValues() {
        #expect(MetricValue.isNewer(point(.nan, step: 1, timestamp: 1), than: point(-1, step: 1, timestamp: 1)))
    }

    @Test func nanRanksAsZeroBelowPositiveValues() {
        #expect(!MetricValue.isNewer(point(.nan, step: 1, timestamp: 1), than: point(1, step: 1, timestamp: 1)))
        #expect(MetricValue.isNewer(point(1, step: 1, timestamp: 1), than: point(.nan, step: 1, timestamp: 1)))
    }

    @Test func nanTiesWithZero() {
        #expect(!MetricValue.isNewer(point(.nan, step: 1, timestamp: 1), than: point(0, step: 1, timestamp: 1)))
        #expect(!MetricValue.isNewer(point(0, step: 1, timestamp: 1), than: point(.nan, step: 1, timestamp: 1)))
    }

    @Test func nanStillLosesToAHigherStep() {
        #expect(MetricValue.isNewer(point(-5, step: 2, timestamp: 1), than: point(.nan, step: 1, timestamp: 1)))
    }

    @Test func rankingValueOfNaNIsZero() {
        #expect(MetricValue.rankingValue(.nan) == 0)
        #expect(MetricValue.rankingValue(-3) == -3)
    }

    @Test func positiveInfinityIsStoredAsMaxDouble() {
        #expect(MetricValue.stored(.infinity) == Double.greatestFiniteMagnitude)
        #expect(MetricValue.stored(.infinity) == 1.7976931348623157e308)
    }

    @Test func negativeInfinityIsStoredAsMinusMaxDouble() {
        #expect(MetricValue.stored(-.infinity) == -1.7976931348623157e308)
    }

    @Test func finiteValuesAndNaNAreStoredAsGiven() {
        #expect(MetricValue.stored(2.5) == 2.5)
        #expect(MetricValue.stored(.nan).isNaN)
    }

    @Test func metricValidationClampsInfinity() throws {
        let stored = try Validation.metric(point(.infinity, step: 0, timestamp: 0))
        #expect(stored.value == .greatestFiniteMagnitude)
    }

    @Test func metricValidationRejectsNegativeTimestamps() {
        expectMLflowError(.invalidParameterValue) {
            try Validation.metric(point(1, step: 0, timestamp: -1))
        }
    }

    @Test func metricValidationAllowsNegativeSteps() throws {
        #expect(try Validation.metric(point(1, step: -7, timestamp: 0)).step == -7)
    }
}
