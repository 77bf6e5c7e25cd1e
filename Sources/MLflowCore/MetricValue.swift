/// How metric values are stored and ranked (contract §6.4–§6.5).
public enum MetricValue {
    /// ±Infinity is stored as ±`Double.greatestFiniteMagnitude`, as MLflow does; NaN stays NaN.
    public static func stored(_ value: Double) -> Double {
        if value == .infinity { return .greatestFiniteMagnitude }
        if value == -.infinity { return -.greatestFiniteMagnitude }
        return value
    }

    /// True when `candidate` replaces `current` as a run's latest value for a key: the larger
    /// (step, timestamp, value) wins, with NaN ranking as 0.
    public static func isNewer(_ candidate: Metric, than current: Metric) -> Bool {
        if candidate.step != current.step { return candidate.step > current.step }
        if candidate.timestamp != current.timestamp { return candidate.timestamp > current.timestamp }
        return rankingValue(candidate.value) > rankingValue(current.value)
    }

    /// NaN takes part in comparisons as 0 (it is stored as 0 plus a flag).
    public static func rankingValue(_ value: Double) -> Double { value.isNaN ? 0 : value }
}
