import HTTPServer

/// PayXToday answers every error in its `error` wrapper: `{"error":{"message":"…"}}`.
/// The document gives no status codes; the sandbox uses 401 for a wrong reseller or key,
/// 422 for invalid input, 404 for unknown objects and routes, 405 for a wrong method.
enum PayXTodayError: Error, HTTPResponseConvertible {
    case wrongKey(String)
    case invalid(String)
    case notFound(String)
    case methodNotAllowed(String)
    /// Any other status: a failure of the sandbox (500), a fault asked for (503, …).
    case status(Int, String)

    var response: HTTPResponse {
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
