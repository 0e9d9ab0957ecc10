import HTTPServer
import SandboxCore

/// Census's answers for failures: 422 with the form's `errors.details`, and empty-object
/// bodies for 404 (a wrong method too: Rails routes by method), 422 without a person, 400,
/// 500 and any other status (its controllers); the message is for the log only.
public enum CensusError: ProviderError {
    case details(ErrorDetails), unprocessable, forbidden
    case status(Int, String)

    public static func invalid(_ message: String) -> CensusError { .unprocessable }
    public static func notFound(_ message: String) -> CensusError { .status(404, message) }
    public static func methodNotAllowed(_ message: String) -> CensusError { .status(404, message) }

    /// A bad `X-PaySandbox-Outcome`, in `errors.details` as a form's field would be.
    public static func invalidOutcome(_ message: String) -> CensusError {
        var details = ErrorDetails()
        details.add("X-PaySandbox-Outcome", "invalid", [("message", .string(message))])
        return .details(details)
    }

    public var response: HTTPResponse {
        switch self {
        case .details(let details): return .json(details.json, status: 422)
        case .unprocessable: return .json([:], status: 422)
        case .status(let status, _): return .json([:], status: status)
        case .forbidden: return .text("Forbidden", status: 403)
        }
    }
}
