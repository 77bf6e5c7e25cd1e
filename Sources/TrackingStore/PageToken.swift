import FoundationEssentials
import MLflowCore

/// MLflow's page token: base64 of `{"offset": N}`. Clients treat it as opaque.
enum PageToken {
    static func encode(offset: Int) -> String {
        Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
    }

    /// The offset a token stands for; 0 for an absent or empty token, 400 for a malformed one.
    static func offset(from token: String?) throws -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token) else {
            throw MLflowError(.invalidParameterValue, "Invalid page token, could not base64-decode")
        }
        struct Token: Decodable { let offset: Int }
        guard let offset = (try? JSONDecoder().decode(Token.self, from: data))?.offset, offset >= 0 else {
            throw MLflowError(.invalidParameterValue, "Invalid page token, decoded value=\(String(decoding: data, as: UTF8.self))")
        }
        return offset
    }
}
