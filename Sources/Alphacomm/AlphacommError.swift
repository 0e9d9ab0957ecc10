import HTTPServer
import SandboxCore

/// Alphacomm's errors in the OAuth2 shape its token endpoint uses (an FOSOAuthServer-style
/// `{"error", "error_description"}`), everywhere; schema violations are listed in `errors`.
public enum AlphacommError: ProviderError {
    case invalid(String), invalidClient, unsupportedGrantType(String), accessDenied, invalidToken
    case validation([JSONSchema.Violation])
    case notFound(String), conflict(String), invalidState(String), methodNotAllowed(String)
    /// Any other status, in OAuth2's words: `server_error`, `temporarily_unavailable` (503).
    case status(Int, String)

    /// Its status, `error` code and `error_description`.
    private var parts: (Int, String, String) {
        switch self {
        case .invalid(let m): (400, "invalid_request", m)
        case .invalidClient: (401, "invalid_client", "The client credentials are invalid")
        case .unsupportedGrantType(let grant):
            (400, "unsupported_grant_type", "Grant type '\(grant)' is not supported; use client_credentials")
        case .accessDenied: (401, "access_denied", "OAuth2 authentication required")
        case .invalidToken: (401, "invalid_grant", "The access token provided is invalid or has expired.")
        case .validation(let violations):
            (400, "invalid_request",
             "The request does not match the schema: \(violations.count) violation\(violations.count == 1 ? "" : "s")")
        case .notFound(let m): (404, "not_found", m)
        case .conflict(let m): (409, "conflict", m)
        case .invalidState(let m): (409, "invalid_state", m)
        case .methodNotAllowed(let m): (405, "method_not_allowed", m)
        case .status(let s, let m):
            (s, s == 503 ? "temporarily_unavailable" : s >= 500 ? "server_error" : s == 401 ? "invalid_client"
                : "invalid_request", m)
        }
    }

    public var response: HTTPResponse {
        let (status, code, description) = parts
        var body: [(String, JSON)] = [("error", .string(code)), ("error_description", .string(description))]
        if case .validation(let violations) = self { body.append(("errors", .array(violations.map(\.json)))) }
        var response = HTTPResponse.json(.object(body), status: status)
        if status == 401 { response.headers.add("WWW-Authenticate", "Bearer realm=\"Service\"") }
        return response
    }
}
