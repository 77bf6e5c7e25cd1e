import MLflowCore

/// The fields of one request message, read with MLflow's protobuf-JSON rules (contract §1.2–§1.3).
///
/// Built from a JSON object (POST bodies) or a query string (GET), where every value is a
/// string and repeated keys form lists. Reads accept snake_case names and their camelCase
/// aliases; `null` counts as absent; wrong types are 400 `INVALID_PARAMETER_VALUE` naming the
/// field by its path (`metrics[0].timestamp`). Unknown fields are ignored.
public struct RequestFields {
    private let members: JSONObject
    private let path: String
    /// Query-string values are all strings: numbers and booleans are parsed from them and a
    /// single value stands for a one-element list.
    private let fromQuery: Bool

    init(members: JSONObject, path: String = "", fromQuery: Bool = false) {
        self.members = members
        self.path = path
        self.fromQuery = fromQuery
    }

    /// Fields from a parsed JSON body: an object, or a string holding an object (the
    /// double-encoded bodies of old clients).
    static func json(_ value: JSONValue) throws -> RequestFields {
        switch value {
        case .object(let members): return RequestFields(members: members)
        case .string(let text):
            if case .object(let members)? = try? JSONParser.parse(Array(text.utf8)) { return RequestFields(members: members) }
        default: break
        }
        throw MLflowError(.invalidParameterValue, "The request body must be a JSON object, not a \(value.typeName).")
    }

    /// Fields from `a=1&b=x&b=y` (already split and percent-decoded).
    static func query(_ pairs: [(String, String)]) -> RequestFields {
        var members: [String: JSONValue] = [:]
        var order: [String] = []
        for (key, value) in pairs {
            switch members[key] {
            case nil:
                members[key] = .string(value)
                order.append(key)
            case .array(let values)?: members[key] = .array(values + [.string(value)])
            case let existing?: members[key] = .array([existing, .string(value)])
            }
        }
        return RequestFields(members: JSONObject(members: order.map { ($0, members[$0]!) }), fromQuery: true)
    }

    // MARK: - Scalars

    /// A string field; a JSON value of another type is a 400.
    func string(_ name: String) throws -> String? {
        guard let value = try scalar(name) else { return nil }
        if case .string(let text) = value { return text }
        throw wrongType(name, value, expected: "a string")
    }

    /// A string field that must be present and not empty.
    func requiredString(_ name: String) throws -> String {
        guard let text = try string(name), !text.isEmpty else { throw MLflowError.missingParameter(qualified(name)) }
        return text
    }

    /// The run id, read from `run_id` or, when that is empty, the deprecated `run_uuid`.
    func runID(allowingUUID: Bool = true) throws -> String {
        if let id = try string("run_id"), !id.isEmpty { return id }
        if allowingUUID, let id = try string("run_uuid"), !id.isEmpty { return id }
        throw MLflowError.missingParameter(qualified("run_id"))
    }

    /// An int64 field: a JSON integer or a string holding one.
    func int64(_ name: String) throws -> Int64? {
        guard let value = try scalar(name) else { return nil }
        switch value {
        case .number(let text), .string(let text):
            if let number = Int64(text) { return number }
            // parseDouble, not Double(_:): Swift also reads "0x10", "0x1p3" and "nan" as numbers.
            if let number = Self.parseDouble(text), number.rounded() == number, abs(number) < 9.2e18 { return Int64(number) }
        default: break
        }
        throw wrongType(name, value, expected: "an integer")
    }

    func requiredInt64(_ name: String) throws -> Int64 {
        guard let number = try int64(name) else { throw MLflowError.missingParameter(qualified(name)) }
        return number
    }

    /// A double field: a number, a numeric string, `"NaN"`, `"Infinity"`, `"-Infinity"`, or a
    /// boolean (1 or 0), as protobuf JSON accepts.
    func double(_ name: String) throws -> Double? {
        guard let value = try scalar(name) else { return nil }
        switch value {
        case .number(let text), .string(let text):
            if let number = Self.parseDouble(text) { return number }
        case .bool(let flag):
            return flag ? 1 : 0
        default: break
        }
        throw wrongType(name, value, expected: "a number")
    }

    func requiredDouble(_ name: String) throws -> Double {
        guard let number = try double(name) else { throw MLflowError.missingParameter(qualified(name)) }
        return number
    }

    /// A boolean field (`true`/`false`; in a query string, case-insensitive).
    func bool(_ name: String) throws -> Bool? {
        guard let value = try scalar(name) else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .string(let text) where fromQuery:
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        default: break
        }
        throw wrongType(name, value, expected: "a boolean")
    }

    /// An enum field given by name or number. An unknown name is ignored (nil), as protobuf
    /// JSON parsing in MLflow does.
    func enumName(_ name: String) throws -> String? {
        guard let value = try scalar(name) else { return nil }
        switch value {
        case .string(let text), .number(let text): return text
        default: throw wrongType(name, value, expected: "an enum name")
        }
    }

    // MARK: - Lists

    /// A repeated message field, each element read as its own `RequestFields`.
    func messages(_ name: String) throws -> [RequestFields] {
        try list(name).enumerated().map { index, element in
            guard case .object(let members) = element else {
                throw wrongType("\(name)[\(index)]", element, expected: "an object")
            }
            return RequestFields(members: members, path: "\(qualified(name))[\(index)].")
        }
    }

    /// A single nested message; nil when absent.
    func message(_ name: String) throws -> RequestFields? {
        guard let value = try scalar(name) else { return nil }
        guard case .object(let members) = value else { throw wrongType(name, value, expected: "an object") }
        return RequestFields(members: members, path: "\(qualified(name)).")
    }

    /// A repeated string field.
    func strings(_ name: String) throws -> [String] {
        try list(name).enumerated().map { index, element in
            guard case .string(let text) = element else { throw wrongType("\(name)[\(index)]", element, expected: "a string") }
            return text
        }
    }

    /// `{key, value}` pairs, as tags and params are sent; a missing value is `""`.
    func keyValues(_ name: String) throws -> [KeyValue] {
        try messages(name).map { fields in
            KeyValue(key: try fields.requiredString("key"), value: try fields.string("value") ?? "")
        }
    }

    private func list(_ name: String) throws -> [JSONValue] {
        guard let value = try raw(name) else { return [] }
        switch value {
        case .array(let elements): return elements
        case .string where fromQuery: return [value]
        default: throw wrongType(name, value, expected: "a list")
        }
    }

    // MARK: - Internals

    /// The member under its snake_case name or camelCase alias; both present is a 400.
    /// A query string is read by the fields' own names only (MLflow looks up `field.name` in
    /// the query arguments), so there a camelCase key is an unknown parameter and ignored.
    private func raw(_ name: String) throws -> JSONValue? {
        let alias = Self.camelCase(name)
        let snake = members[name].flatMap { $0 == .null ? nil : $0 }
        let camel = alias == name || fromQuery ? nil : members[alias].flatMap { $0 == .null ? nil : $0 }
        if snake != nil, camel != nil {
            throw MLflowError(.invalidParameterValue, "Request specifies both '\(name)' and '\(alias)'")
        }
        return snake ?? camel
    }

    /// A single-valued member. A query string that repeats the key gives its first value, as
    /// the MLflow server (Flask's `args.get`) does.
    private func scalar(_ name: String) throws -> JSONValue? {
        let value = try raw(name)
        if fromQuery, case .array(let values)? = value { return values.first }
        return value
    }

    private func qualified(_ name: String) -> String { path + name }

    private func wrongType(_ name: String, _ value: JSONValue, expected: String) -> MLflowError {
        MLflowError(
            .invalidParameterValue,
            "Invalid value \(value.shortDescription) for parameter '\(qualified(name))' supplied: expected \(expected), got a \(value.typeName).")
    }

    /// `run_id` → `runId`. Field names are ASCII literals, so this works on bytes.
    static func camelCase(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: "_")) else { return name }
        var result: [UInt8] = []
        result.reserveCapacity(name.utf8.count)
        var upperNext = false
        for byte in name.utf8 {
            if byte == UInt8(ascii: "_") {
                upperNext = true
            } else {
                result.append(upperNext && byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte)
                upperNext = false
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    static func parseDouble(_ text: String) -> Double? {
        switch text {
        case "NaN": return .nan
        case "Infinity", "inf": return .infinity
        case "-Infinity", "-inf": return -.infinity
        default:
            // Swift's Double("nan") and Double("0x1p3") accept forms JSON does not.
            guard let first = text.utf8.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: ".") else {
                return nil
            }
            let letters = "xXnNiI".utf8
            if text.utf8.contains(where: letters.contains) { return nil }
            return Double(text)
        }
    }
}
