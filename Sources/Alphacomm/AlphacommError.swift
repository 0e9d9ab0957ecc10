import HTTPServer
import SandboxCore

/// Alphacomm's errors in the OAuth2 shape its token endpoint uses (an FOSOAuthServer-style
/// `{"error", "error_description"}`), everywhere; schema violations are listed in `errors`.
public enum AlphacommError: ProviderError {
    case invalid(String)
    case invalidClient
    case unsupportedGrantType(String)
    case accessDenied
    case invalidToken
    case validation([JSONSchema.Violation])
    case notFound(String)
    case conflict(String)
    case invalidState(String)
    case methodNotAllowed(String)
    /// Any other status, in OAuth2's words: `server_error`, `temporarily_unavailable` (503).
    case status(Int, String)

    public var response: HTTPResponse {
        var body: [(String, JSON)]
        let status: Int
        switch self {
        case .invalid(let m):
            status = 400; body = [("error", "invalid_request"), ("error_description", .string(m))]
        case .invalidClient:
            status = 401;
            body = [("error", "invalid_client"), ("error_description", "The client credentials are invalid")]
        case .unsupportedGrantType(let g):
            status = 400;
            body = [
                ("error", "unsupported_grant_type"),
                ("error_description", .string("Grant type '\(g)' is not supported; use client_credentials")),
            ]
        case .accessDenied:
            status = 401; body = [("error", "access_denied"), ("error_description", "OAuth2 authentication required")]
        case .invalidToken:
            status = 401;
            body = [
                ("error", "invalid_grant"),
                ("error_description", "The access token provided is invalid or has expired."),
            ]
        case .validation(let violations):
            status = 400
            body = [
                ("error", "invalid_request"),
                (
                    "error_description",
                    .string(
                        "The request does not match the schema: \(violations.count) "
                        + "violation\(violations.count == 1 ? "" : "s")"
                    )
                ),
                    ("errors", .array(violations.map(\.json)))]
        case .notFound(let m): status = 404; body = [("error", "not_found"), ("error_description", .string(m))]
        case .conflict(let m): status = 409; body = [("error", "conflict"), ("error_description", .string(m))]
        case .invalidState(let m): status = 409; body = [("error", "invalid_state"), ("error_description", .string(m))]
        case .methodNotAllowed(let m):
            status = 405; body = [("error", "method_not_allowed"), ("error_description", .string(m))]
        case .status(let s, let m):
            status = s
            let code =
                s == 503
                ? "temporarily_unavailable"
                : s >= 500 ? "server_error" : s == 401 ? "invalid_client" : "invalid_request"
            body = [("error", .string(code)), ("error_description", .string(m))]
        }
        var response = HTTPResponse.json(.object(body), status: status)
        if status == 401 { response.headers.add("WWW-Authenticate", "Bearer realm=\"Service\"") }
        return response
    }
}
