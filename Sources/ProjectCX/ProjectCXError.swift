import HTTPServer
import SandboxCore

/// Project CX's errors. The document shows no error body; the sandbox answers
/// `{"error": code, "message": text}` with 400 for bad input and 401 for auth
/// (docs/projectcx.md).
public enum ProjectCXError: ProviderError {
    case invalid(String), invalidCredentials, unauthorized(String), notFound(String), methodNotAllowed(String)
    case status(Int, String)

    /// A JSON body's values must have their type: "amount must be an integer, got string".
    public static func invalid(_ field: String, _ rule: InputRule) -> ProjectCXError {
        switch rule {
        case .integer(got: "number"): return .invalid("\(field) must be an integer number of cents")
        case .integer(got: let type?): return .invalid("\(field) must be an integer, got \(type)")
        case .text(got: let type): return .invalid("\(field) must be a string, got \(type)")
        case .url: return .invalid("\(field) must be an absolute http or https URI")
        case .body: return .invalid("Request body must be a JSON object")
        default: return .invalid(rule.message(for: field))
        }
    }

    var status: Int {
        switch self {
        case .invalid: return 400
        case .invalidCredentials, .unauthorized: return 401
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .status(let status, _): return status
        }
    }

    var code: String {
        switch self {
        case .invalid: return "invalid_request"
        case .invalidCredentials: return "invalid_credentials"
        case .unauthorized: return "unauthorized"
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .status(500, _): return "internal_error"
        case .status(503, _): return "service_unavailable"
        case .status(let status, _): return status >= 500 ? "server_error" : "error"
        }
    }

    var message: String {
        switch self {
        case .invalid(let m), .unauthorized(let m), .notFound(let m), .methodNotAllowed(let m), .status(_, let m): m
        case .invalidCredentials: "Invalid username or password"
        }
    }

    public var response: HTTPResponse {
        var response = HTTPResponse.json(["error": .string(code), "message": .string(message)], status: status)
        if status == 401 { response.headers.add("WWW-Authenticate", "Bearer realm=\"projectcx\"") }
        return response
    }
}
