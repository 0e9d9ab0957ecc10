import HTTPServer

/// Project CX's errors. The document shows no error body; the sandbox answers
/// `{"error": code, "message": text}` with 400 for bad input and 401 for auth
/// (README, Project CX section).
enum ProjectCXError: Error, HTTPResponseConvertible {
    case invalidRequest(String)
    case invalidCredentials
    case unauthorized(String)
    case notFound(String)
    case methodNotAllowed(String)
    case internalError(String)

    var status: Int {
        switch self {
        case .invalidRequest: return 400
        case .invalidCredentials, .unauthorized: return 401
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .internalError: return 500
        }
    }

    var code: String {
        switch self {
        case .invalidRequest: return "invalid_request"
        case .invalidCredentials: return "invalid_credentials"
        case .unauthorized: return "unauthorized"
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .internalError: return "internal_error"
        }
    }

    var message: String {
        switch self {
        case .invalidRequest(let m), .unauthorized(let m), .notFound(let m), .methodNotAllowed(let m), .internalError(let m): return m
        case .invalidCredentials: return "Invalid username or password"
        }
    }

    var response: HTTPResponse {
        var response = HTTPResponse.json(["error": .string(code), "message": .string(message)], status: status)
        if status == 401 { response.headers.add("WWW-Authenticate", "Bearer realm=\"projectcx\"") }
        return response
    }
}
