/// MLflow's size and count limits (`mlflow/utils/validation.py`, contract §5.2).
public enum Limits {
    public static let maxKeyLength = 250
    public static let maxParamValueLength = 6000
    public static let maxTagValueLength = 8000
    public static let maxExperimentNameLength = 500
    public static let maxExperimentTagKeyLength = 250
    public static let maxExperimentTagValueLength = 20000
    public static let maxArtifactLocationLength = 2048
    public static let maxBatchMetrics = 1000
    public static let maxBatchParams = 100
    public static let maxBatchTags = 100
    public static let maxBatchItems = 1000
    public static let maxBatchRequestBytes = 1_000_000
    public static let maxDatasetNameLength = 500
    public static let maxDatasetDigestLength = 36
    public static let maxDatasetSourceLength = 65535
    public static let maxDatasetSchemaLength = 1_048_575
    public static let maxDatasetProfileLength = 16_777_215
    public static let maxInputTagKeyLength = 255
    public static let maxInputTagValueLength = 500
}
