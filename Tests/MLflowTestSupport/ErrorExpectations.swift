import MLflowCore
import Testing

/// Expects `body` to throw an `MLflowError` with `code` (and a message containing `fragment`);
/// returns the error for further checks.
@discardableResult
public func expectMLflowError<T>(
    _ code: ErrorCode, containing fragment: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> MLflowError? {
    let error = #expect(throws: MLflowError.self, sourceLocation: sourceLocation) { _ = try body() }
    guard let error else { return nil }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    if let fragment {
        #expect(error.message.contains(fragment), "message was: \(error.message)", sourceLocation: sourceLocation)
    }
    return error
}
