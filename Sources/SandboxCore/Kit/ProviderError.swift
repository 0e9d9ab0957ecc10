import HTTPServer

/// What every provider's error type can say, each in its provider's shape: bad input, an
/// unknown object or route, a method a route does not take, any other status. The core
/// answers unknown routes, wrong methods, a bad `X-PaySandbox-Outcome`, its own failures and
/// the faults asked for with it, and `Input` turns each broken input rule into it.
public protocol ProviderError: Error, HTTPResponseConvertible {
    /// Bad input, saying what is wrong.
    static func invalid(_ message: String) -> Self
    static func notFound(_ message: String) -> Self
    static func methodNotAllowed(_ message: String) -> Self
    /// Any other status: a failure of the sandbox (500), a fault asked for (503, …).
    static func status(_ status: Int, _ message: String) -> Self
    /// A broken input rule, in the provider's words (by default `InputRule.message(for:)`).
    static func invalid(_ field: String, _ rule: InputRule) -> Self
    /// A bad `X-PaySandbox-Outcome` header (by default `invalid(message)`).
    static func invalidOutcome(_ message: String) -> Self
}

extension ProviderError {
    public static func invalid(_ field: String, _ rule: InputRule) -> Self { invalid(rule.message(for: field)) }
    public static func invalidOutcome(_ message: String) -> Self { invalid(message) }
}

extension Provider {
    public func error(status: Int, message: String) -> HTTPResponse { Failure.status(status, message).response }

    /// A path none of its routes serves.
    func notFound(_ request: HTTPRequest) -> HTTPResponse {
        Failure.notFound("No route for \(request.method) \(request.path)").response
    }

    /// A path its routes serve, with another method.
    func methodNotAllowed(_ request: HTTPRequest, _ allowed: [String]) -> HTTPResponse {
        Failure.methodNotAllowed("Method \(request.method) is not allowed; use \(Router.declared(allowed))").response
    }

    /// An error a handler threw that is not an answer of its own: a bad outcome header in the
    /// provider's words, anything else its 500 (logged, never shown).
    func errorResponse(_ error: any Error, _ request: HTTPRequest, logger: Logger) -> HTTPResponse {
        if let error = error as? OutcomeError { return Failure.invalidOutcome(error.description).response }
        return InternalError.respond(error, request, logger: logger) { self.error(status: 500, message: $0) }
    }
}
