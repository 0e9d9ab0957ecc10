import HTTPServer

/// Census's answers for failures: 422 with the form's `errors.details`, and empty-object
/// bodies for 404, 422 without a person, and 500 (its controllers).
enum CensusError: Error, HTTPResponseConvertible {
    case invalid(ErrorDetails)
    case unprocessable
    case notFound
    case internalError
    case forbidden
    case badRequest

    var response: HTTPResponse {
        switch self {
        case .invalid(let details): return .json(details.json, status: 422)
        case .unprocessable: return .json([:], status: 422)
        case .notFound: return .json([:], status: 404)
        case .internalError: return .json([:], status: 500)
        case .badRequest: return .json([:], status: 400)
        case .forbidden: return .text("Forbidden", status: 403)
        }
    }
}
