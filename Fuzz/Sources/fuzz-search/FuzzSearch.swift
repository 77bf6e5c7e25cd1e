import FuzzSupport
import MLflowCore
import TrackingAPI

/// The search filter and order_by parsers (runs, experiments, logged models), and the same
/// strings through the search endpoints, so whatever a parser accepts also reaches the SQL
/// built from it.
///
/// Input: byte 0 picks the parser (mod 3: runs, experiments, logged models) and, with bit 2,
/// order_by instead of filter; the rest is the filter, or the order_by clauses separated by
/// 0x00.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSearch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let choice = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let orderBy = choice & 4 != 0
    let clauses = fuzzSplit(bytes.dropFirst(), 0x00, into: 8).filter { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) }
    var accepted = true
    do {
        switch (Int(choice) % 3, orderBy) {
        case (0, false): _ = try RunSearchParser.filter(text)
        case (0, true): _ = try RunSearchParser.orderBy(clauses)
        case (1, false): _ = try ExperimentSearchParser.filter(text)
        case (1, true): _ = try ExperimentSearchParser.orderBy(clauses)
        case (_, false): _ = try LoggedModelSearchParser.filter(text)
        case (_, true): for clause in clauses { _ = try LoggedModelSearchParser.orderField(clause) }
        }
    } catch is MLflowError {
        accepted = false
    } catch {
        fuzzFailure("a parser threw something other than MLflowError: \(error)")
    }
    // Through the API: a parsed filter becomes SQL over the fuzz database.
    let server = FuzzServer.shared
    let rpc = ["runs/search", "experiments/search", "logged-models/search"][Int(choice) % 3]
    let experiments = Int(choice) % 3 == 1 ? "" : #""experiment_ids": ["\#(server.experimentID)"], "#
    let order: String
    if Int(choice) % 3 == 2 {
        order = "[" + clauses.map { #"{"field_name": \#(jsonString($0)), "ascending": false}"# }.joined(separator: ", ") + "]"
    } else {
        order = "[" + clauses.map(jsonString).joined(separator: ", ") + "]"
    }
    let body = orderBy ? "{\(experiments)\"order_by\": \(order)}" : "{\(experiments)\"filter\": \(jsonString(text))}"
    let response = server.handle(APIRequest(method: "POST", path: "/api/2.0/mlflow/" + rpc, contentType: "application/json", body: Array(body.utf8)))
    // What the parser refuses, the endpoint refuses (the endpoint may refuse more: values).
    if !accepted && response.status == 200 { fuzzFailure("the parser refused \(body.debugDescription) but \(rpc) answered 200") }
    return 0
}
