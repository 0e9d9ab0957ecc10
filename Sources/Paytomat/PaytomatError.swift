import HTTPServer
import SandboxCore

/// Every Paytomat error is `{"error": "<description>"}`, as documented, with a fitting status.
public enum PaytomatError: ProviderError {
    case unauthorized(String), invalid(String), notFound(String), conflict(String), methodNotAllowed(String)
    case status(Int, String)

    public var response: HTTPResponse {
        let (status, message): (Int, String)
        switch self {
        case .unauthorized(let m): (status, message) = (401, m)
        case .invalid(let m): (status, message) = (400, m)
        case .notFound(let m): (status, message) = (404, m)
        case .conflict(let m): (status, message) = (409, m)
        case .methodNotAllowed(let m): (status, message) = (405, m)
        case .status(let s, let m): (status, message) = (s, m)
        }
        var response = HTTPResponse.json(["error": .string(message)], status: status)
        if status == 401 { response.headers.add("WWW-Authenticate", "Basic realm=\"paytomat\", Bearer") }
        return response
    }
}
