/// MLflow's input rules (contract §5): names, lengths, ids and batch sizes.
///
/// Every function either returns a cleaned value or throws `MLflowError` with the status and
/// wording the real server uses. Nothing here touches storage: rules that need stored state
/// (param conflicts, lifecycle checks) live in the store.
public enum Validation {
    /// Checks a metric, param or run-tag key: present, at most 250 characters, only
    /// `[/\w.\- :]`, and unchanged when normalised as a POSIX path.
    public static func key(_ key: String, field: String = "key", what: String) throws {
        if key.isEmpty { throw MLflowError.missingParameter(field) }
        if !isValidName(key) {
            throw MLflowError.invalidValue(
                field, "\"\(key)\"",
                "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).")
        }
        if !isPathUnique(key) {
            throw MLflowError.invalidValue(
                field, "\"\(key)\"",
                "Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '\(normalizedPOSIXPath(key))'")
        }
        try maxLength(key, Limits.maxKeyLength, what: "'\(what)'")
    }

    /// Throws when `value` is longer than `limit` characters, counted as Python's `len`
    /// does: Unicode code points (so "e" plus a combining accent is two).
    public static func maxLength(_ value: String, _ limit: Int, what: String) throws {
        if codePointCount(value, exceeds: limit) {
            throw MLflowError(.invalidParameterValue, "\(what) exceeds the maximum length of \(limit) characters")
        }
    }

    /// MLflow silently truncates long param and tag values (`MLFLOW_TRUNCATE_LONG_VALUES`).
    public static func truncated(_ value: String, to limit: Int) -> String {
        codePointCount(value, exceeds: limit) ? String(String.UnicodeScalarView(value.unicodeScalars.prefix(limit))) : value
    }

    /// True when `value` has more than `limit` code points; its UTF-8 length (known without
    /// a scan) settles most cases, since every code point takes at least one byte.
    static func codePointCount(_ value: String, exceeds limit: Int) -> Bool {
        value.utf8.count > limit && value.unicodeScalars.count > limit
    }

    /// A param as MLflow stores it: key checked, value truncated to 6000 characters.
    public static func param(_ param: Param) throws -> Param {
        try key(param.key, what: "Param key")
        return Param(key: param.key, value: truncated(param.value, to: Limits.maxParamValueLength))
    }

    /// A run tag as MLflow stores it: key checked, value truncated to 8000 characters.
    public static func runTag(_ tag: RunTag) throws -> RunTag {
        try key(tag.key, what: "Tag key")
        return RunTag(key: tag.key, value: truncated(tag.value, to: Limits.maxTagValueLength))
    }

    /// A metric point as MLflow stores it: key checked, timestamp not negative, infinities clamped.
    public static func metric(_ metric: Metric) throws -> Metric {
        try key(metric.key, what: "Metric name")
        if metric.timestamp < 0 {
            throw MLflowError.invalidValue("timestamp", "\(metric.timestamp)", "Metric timestamp must be a non-negative integer.")
        }
        var stored = metric
        stored.value = MetricValue.stored(metric.value)
        return stored
    }

    /// Experiment tag keys and values are limited but never truncated.
    public static func experimentTag(_ tag: ExperimentTag) throws {
        try key(tag.key, what: "Tag key")
        try maxLength(tag.value, Limits.maxExperimentTagValueLength, what: "'value'")
    }

    /// Experiment names: not blank, at most 500 characters.
    public static func experimentName(_ name: String?, field: String = "name") throws -> String {
        guard let name, !name.isEmpty else { throw MLflowError.missingParameter(field) }
        if name.allSatisfy(\.isWhitespace) {
            throw MLflowError(.invalidParameterValue, "Invalid experiment name: '\(name)'")
        }
        try maxLength(name, Limits.maxExperimentNameLength, what: "'\(field)'")
        return name
    }

    /// Logged model names may not contain `/ : . % " '` (MLflow 3's rule).
    public static func loggedModelName(_ name: String) throws {
        let forbidden: [Character] = ["/", ":", ".", "%", "\"", "'"]
        if name.contains(where: forbidden.contains) {
            throw MLflowError(
                .invalidParameterValue,
                "Invalid model name ('\(name)') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '\"', \"'\")")
        }
    }

    /// Experiment ids are decimal integers carried as strings.
    public static func experimentID(_ id: String) throws -> Int64 {
        guard let number = Int64(id), number >= 0 else {
            throw MLflowError(.invalidParameterValue, "Invalid experiment ID '\(id)'. Experiment ID must be a valid integer.")
        }
        return number
    }

    /// log-batch size limits (contract §5.2).
    public static func batchSize(metrics: Int, params: Int, tags: Int) throws {
        func tooMany(_ count: Int, _ what: String, _ limit: Int) -> MLflowError {
            MLflowError(
                .invalidParameterValue,
                "A batch logging request can contain at most \(limit) \(what). Got \(count) \(what). Please split up \(what) across multiple requests and try again.")
        }
        if metrics > Limits.maxBatchMetrics { throw tooMany(metrics, "metrics", Limits.maxBatchMetrics) }
        if params > Limits.maxBatchParams { throw tooMany(params, "params", Limits.maxBatchParams) }
        if tags > Limits.maxBatchTags { throw tooMany(tags, "tags", Limits.maxBatchTags) }
        let total = metrics + params + tags
        if total > Limits.maxBatchItems {
            throw MLflowError(
                .invalidParameterValue,
                "A batch logging request can contain at most \(Limits.maxBatchItems) metrics, params, and tags in total. Got \(total) in total. Please split up metrics, params, and tags across multiple requests and try again.")
        }
    }

    /// Duplicate param keys inside one batch are rejected before anything is written.
    public static func uniqueParamKeys(_ params: [Param]) throws {
        var seen = Set<String>()
        var duplicates: [String] = []
        for param in params where !seen.insert(param.key).inserted && !duplicates.contains(param.key) {
            duplicates.append(param.key)
        }
        if !duplicates.isEmpty {
            let list = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            throw MLflowError(
                .invalidParameterValue,
                "Duplicate parameter keys have been submitted: [\(list)]. Please ensure the request contains only one param value per param key.")
        }
    }

    /// `[/\w.\- :]`, with `\w` meaning Unicode letters, digits and underscore as in Python.
    static func isNameCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c == "/" || c == "." || c == "-" || c == " " || c == ":"
    }

    /// `isNameCharacter` for every character of `name`, without Unicode lookups when the
    /// name is ASCII (as almost every key is).
    static func isValidName(_ name: String) -> Bool {
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: ":"):
                continue
            case 0x80...: return name.allSatisfy(isNameCharacter)
            default: return false
            }
        }
        return true
    }

    static func isPathUnique(_ name: String) -> Bool {
        // normpath leaves a name without slashes as it is ("." and ".." included).
        let normalized = name.utf8.contains(UInt8(ascii: "/")) ? normalizedPOSIXPath(name) : name
        return normalized == name && normalized != "." && !normalized.hasPrefix("..") && !normalized.hasPrefix("/")
    }

    /// Python's `posixpath.normpath`.
    static func normalizedPOSIXPath(_ path: String) -> String {
        if path.isEmpty { return "." }
        let leadingSlashes = path.prefix(while: { $0 == "/" }).count
        let root = leadingSlashes == 0 ? "" : (leadingSlashes == 2 ? "//" : "/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if root.isEmpty {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        let joined = root + parts.joined(separator: "/")
        return joined.isEmpty ? "." : joined
    }
}
