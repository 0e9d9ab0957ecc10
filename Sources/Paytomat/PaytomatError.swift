import HTTPServer

/// Every Paytomat error is `{"error": "<description>"}`, as documented, with a fitting status.
enum PaytomatError: Error, HTTPResponseConvertible {
    case unauthorized(String)
    case invalid(String)
    case notFound(String)
    case conflict(String)
    case methodNotAllowed(String)
    /// Any other status: a failure of the sandbox (500), a fault asked for (503, …).
    case status(Int, String)

    var response: HTTPResponse {
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
