import HTTPServer
import SandboxCore

/// PayXToday answers every error in its `error` wrapper: `{"error":{"message":"…"}}`.
/// The document gives no status codes; the sandbox uses 401 for a wrong reseller or key,
/// 422 for invalid input, 404 for unknown objects and routes, 405 for a wrong method.
public enum PayXTodayError: ProviderError {
    case wrongKey(String), invalid(String), notFound(String), methodNotAllowed(String)
    case status(Int, String)

    /// Input rules in Laravel's words, as the document writes them.
    public static func invalid(_ field: String, _ rule: InputRule) -> PayXTodayError {
        switch rule {
        case .required: .invalid("The \(field) field is required.")
        case .integer: .invalid("The \(field) must be an integer.")
        case .text: .invalid("The \(field) must be a string.")
        case .maxLength(let max): .invalid("The \(field) may not be greater than \(max) characters.")
        case .number: .invalid("The \(field) must be a number.")
        case .positive, .atMost: .invalid("The \(field) must be between 0.01 and 1000000000.")
        case .places(let places): .invalid("The \(field) may have at most \(places) decimals.")
        case .url: .invalid("The \(field) must be a valid URL.")
        case .email: .invalid("The \(field) must be a valid email address.")
        case .oneOf: .invalid("The selected \(field) is invalid.")
        case .body: .invalid("The request body is not valid JSON.")
        }
    }

    public var response: HTTPResponse {
        let (status, message): (Int, String)
        switch self {
        case .wrongKey(let key): (status, message) = (401, "Not correct secret key reseller \(key)")
        case .invalid(let m): (status, message) = (422, m)
        case .notFound(let m): (status, message) = (404, m)
        case .methodNotAllowed(let m): (status, message) = (405, m)
        case .status(let s, let m): (status, message) = (s, m)
        }
        return .json(["error": ["message": .string(message)]], status: status)
    }
}

extension HTTPResponse {
    /// PayXToday's success wrapper: `{"data": …}`.
    static func data(_ json: JSON) -> HTTPResponse { .json(["data": json]) }
}
