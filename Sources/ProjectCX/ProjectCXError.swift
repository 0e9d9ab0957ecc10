import HTTPServer

/// Project CX's errors. The document shows no error body; the sandbox answers
/// `{"error": code, "message": text}` with 400 for bad input and 401 for auth
/// (docs/projectcx.md).
enum ProjectCXError: Error, HTTPResponseConvertible {
    case invalidRequest(String)
    case invalidCredentials
    case unauthorized(String)
    case notFound(String)
    case methodNotAllowed(String)
    /// Any other status: a failure of the sandbox (500), a fault asked for (503, …).
    case status(Int, String)

    var status: Int {
        switch self {
        case .invalidRequest: return 400
        case .invalidCredentials, .unauthorized: return 401
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .status(let status, _): return status
        }
    }

    var code: String {
        switch self {
        case .invalidRequest: return "invalid_request"
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
        case .invalidRequest(let m), .unauthorized(let m), .notFound(let m), .methodNotAllowed(let m),
            .status(_, let m):
            return m
        case .invalidCredentials: return "Invalid username or password"
        }
    }

    var response: HTTPResponse {
        var response = HTTPResponse.json(["error": .string(code), "message": .string(message)], status: status)
        if status == 401 { response.headers.add("WWW-Authenticate", "Bearer realm=\"projectcx\"") }
        return response
    }
}
