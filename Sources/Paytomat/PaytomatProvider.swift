import HTTPServer
import SQLiteStore
import SandboxCore

public struct PaytomatProvider: Provider {
    public typealias Failure = PaytomatError
    public var key: String { "paytomat" }
    public var displayName: String { "Paytomat" }
    public var defaultPort: Int { 8082 }
    public var migrations: [Migration] { PaytomatStore.migrations }
    /// The payer sends coins (the widget page): nothing settles on its own; unpaid
    /// transactions time out.
    public var defaultSettle: SettleSettings { SettleSettings(.manual) }

    public init() {}

    /// The Basic user and password.
    public var credentialNames: (login: String, secret: String)? { ("username", "password") }

    /// As the document writes it: `https://username:password@app.paytomat.com/api/v1`.
    public func apiURL(mountURL: String, account: AccountSeed) -> String {
        let userinfo = PercentDecoding.encode(account.login) + ":" + PercentDecoding.encode(account.secret) + "@"
        guard let scheme = mountURL.range(of: "://") else { return mountURL + "/api/v1" }
        return mountURL[..<scheme.upperBound] + userinfo + mountURL[scheme.upperBound...] + "/api/v1"
    }

    public func describe(_ account: AccountSeed) -> String {
        "Basic \(account.login):\(account.secret) (or the JWT from /api/v1/token)"
    }

    public func seed(_ db: Database, context: ProviderContext) throws {
        try PaytomatJWT.seedSecret(db, context: context)
    }

    /// By its Basic credentials or JWT.
    public func account(of request: HTTPRequest, _ context: ProviderContext) -> Int? {
        try? PaytomatRoutes(context: context).authenticate(request)
    }

    /// Also a refused call's: the Basic login a wrong password was sent for, an expired JWT.
    public func caller(of request: HTTPRequest, _ context: ProviderContext) -> Int? {
        if let (user, _) = request.basicCredentials { return try? context.account(login: user)?.id }
        return request.bearerToken.flatMap { try? PaytomatJWT.verify($0, context: context, expiring: false) }
    }

    public var conduct: Conduct {
        var conduct = Conduct()
        let create = "POST /api/v1/create_transaction"
        conduct.creates = [create]
        conduct.statusReads = ["GET /api/v1/transaction"]
        conduct.changes = ["POST /api/v1/cancel_transaction", "POST /api/v1/chargeback_transaction"]
        conduct.payments = [create: [.response("id")], "GET /api/v1/transaction": [.parameter("id")],
                            "POST /api/v1/cancel_transaction": [.parameter("id")],
                            "POST /api/v1/chargeback_transaction": [.parameter("id")]]
        conduct.tokenCalls = ["GET /api/v1/token"]
        conduct.tokenLifetime = Int(PaytomatJWT.lifetimeSeconds)
        conduct.order = [["ref"], ["order_id"]]
        return conduct
    }

    public var createRoute: String { "POST /api/v1/create_transaction" }

    /// Basic, as its document's `username:password@` URL sends it.
    public func authorize(_ request: HTTPRequest, as account: AccountSeed, send: Send) async -> HTTPRequest {
        var request = request
        let credentials = Base64.encode(Array("\(account.login):\(account.secret)".utf8))
        request.headers.set("Authorization", "Basic " + credentials)
        return request
    }

    public func routes(_ context: ProviderContext) -> Router {
        PaytomatRoutes(context: context).router()
    }

    public func complete(payment id: String, with outcome: Outcome, _ db: Database, _ context: ProviderContext) throws {
        guard let transaction = Int(id) else { throw CompletionError.notFound }
        try PaytomatStore.complete(db, id: transaction, outcome: outcome, context: context)
    }

    public func runJob(_ job: Job, _ db: Database, _ context: ProviderContext) throws {
        try PaytomatLifecycle.run(job, db, context)
    }
}
