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
