import HTTPServer
import SQLiteStore
import SandboxCore

public struct AlphacommProvider: Provider {
    public typealias Failure = AlphacommError
    public var key: String { "alphacomm" }
    public var displayName: String { "Alphacomm (PayPal)" }
    public var defaultPort: Int { 8085 }
    public var migrations: [Migration] { AlphacommStore.migrations }
    /// The payer approves on the PayPal page: nothing settles on its own (it expires).
    public var defaultSettle: SettleSettings { SettleSettings(.manual) }

    public init() {}

    public var credentialNames: (login: String, secret: String)? { ("client_id", "client_secret") }

    /// By its access token, or the client id asking for one.
    public func account(of request: HTTPRequest, _ context: ProviderContext) -> Int? {
        if let token = request.bearerToken ?? request.query["access_token"] {
            return try? context.account(forToken: token)
        }
        return request.query["client_id"].flatMap { try? context.account(login: $0)?.id }
    }

    /// Also a refused call's: an expired token.
    public func caller(of request: HTTPRequest, _ context: ProviderContext) -> Int? {
        if let token = request.bearerToken ?? request.query["access_token"] {
            return try? context.account(forAnyToken: token)
        }
        return account(of: request, context)
    }

    public var conduct: Conduct {
        var conduct = Conduct()
        let create = "POST /api/paypal/create"
        conduct.creates = [create]
        conduct.statusReads = ["GET /api/paypal/status/{paymentId}"]
        conduct.changes = ["GET /api/paypal/capture/{paymentId}"]
        conduct.payments = [create: [.response("paymentId"), .parameter("paymentId")],
                            "GET /api/paypal/status/{paymentId}": [.path("paymentId")],
                            "GET /api/paypal/capture/{paymentId}": [.path("paymentId")]]
        conduct.tokenCalls = ["GET /oauth/v2/token"]
        conduct.tokenLifetime = Int(AlphacommStore.tokenLifetime)
        conduct.order = [["transaction.reference"]]
        conduct.noCallbacks = "Alphacomm's document sends no callback: the integration learns the outcome by "
            + "reading the payment's status after the payer's return."
        return conduct
    }

    public var createRoute: String { "POST /api/paypal/create" }

    /// A Bearer token from `GET /oauth/v2/token` (client credentials), as its clients ask first.
    public func authorize(_ request: HTTPRequest, as account: AccountSeed, send: Send) async -> HTTPRequest {
        let query = "grant_type=client_credentials&client_id=\(PercentDecoding.encode(account.login))"
            + "&client_secret=\(PercentDecoding.encode(account.secret))"
        let token = HTTPRequest(method: "GET", target: "/oauth/v2/token?" + query)
        return await bearer(request, from: token, field: "access_token", send: send)
    }

    public func routes(_ context: ProviderContext) -> Router {
        AlphacommRoutes(context: context).router()
    }

    public func complete(payment id: String, with outcome: Outcome, _ db: Database, _ context: ProviderContext) throws {
        try AlphacommStore.complete(db, id: id, outcome: outcome, context: context)
    }

    /// "settle" approves or cancels as forced; "expire" ends an approval nobody gave.
    public func runJob(_ job: Job, _ db: Database, _ context: ProviderContext) throws {
        switch job.kind {
        case .expire:
            guard let payment = try AlphacommStore.payment(db, id: job.payment), payment.state == .accepted else {
                return
            }
            try AlphacommStore.setState(
                db, id: job.payment, state: .expired, note: "Not approved within 3 hours", context: context)
        case .settle:
            do {
                try complete(payment: job.payment, with: Outcome(payload: job.payload) ?? .success, db, context)
            } catch CompletionError.alreadyFinal {}
        default:
            break
        }
    }
}
