import HTTPServer
import SQLiteStore
import SandboxCore

/// Paytomat's API (paytomat.txt) under `/api/v1/`: Basic or JWT Bearer on every call.
struct PaytomatRoutes {
    let context: SandboxContext

    func router() -> Router {
        var router = Router()
        router.get("/api/v1/token") { request in
            let merchant = try authenticate(request)
            return .json(["token": .string(try PaytomatJWT.sign(merchant: merchant, context: context))])
        }
        router.get("/api/v1/currencies") { request in
            _ = try authenticate(request)
            return .json(["currencies": .array(PaytomatCurrency.all.map(\.json))])
        }
        router.get("/api/v1/exchange_rates") { request in try exchangeRates(request) }
        router.notFound = { request in PaytomatError.notFound("Unknown endpoint \(request.method) \(request.path)").response }
        router.methodNotAllowed = { request, allowed in
            PaytomatError.methodNotAllowed("Method \(request.method) is not allowed; use \(allowed.filter { $0 != "OPTIONS" && $0 != "HEAD" }.joined(separator: ", "))").response
        }
        return router
    }

    /// Basic (header, or credentials in the URL as curl sends them) or a JWT Bearer token.
    func authenticate(_ request: HTTPRequest) throws -> Int {
        if let (user, password) = request.basicCredentials {
            guard let account = try context.accounts.authenticate(provider: PaytomatProvider.key, login: user, secret: password) else {
                throw PaytomatError.unauthorized("Invalid username or password")
            }
            return account.id
        }
        if let token = request.bearerToken {
            guard let merchant = try PaytomatJWT.verify(token, context: context),
                  try context.accounts.find(provider: PaytomatProvider.key, id: merchant) != nil else {
                throw PaytomatError.unauthorized("Invalid or expired token")
            }
            return merchant
        }
        throw PaytomatError.unauthorized("Authorization required: Basic or Bearer")
    }

    private func exchangeRates(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = try authenticate(request)
        guard let code = request.query["currency"], !code.isEmpty else { throw PaytomatError.invalid("currency is required") }
        guard let currency = PaytomatCurrency.find(code) else { throw PaytomatError.invalid("currency: unknown currency code '\(code)'") }
        let rates = PaytomatCurrency.all.map { ($0.code, JSON.string(PaytomatCurrency.formatRate(currency.rate(to: $0)))) }
        return .json(["rates": .object(rates)])
    }
}
