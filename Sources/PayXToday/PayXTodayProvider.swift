import HTTPServer
import SQLiteStore
import SandboxCore

public struct PayXTodayProvider: Provider {
    public typealias Failure = PayXTodayError
    /// The document names no currency; the sandbox shows prices in euros.
    static let currency = "EUR"

    public var key: String { "payxtoday" }
    public var displayName: String { "PayXToday" }
    public var defaultPort: Int { 8084 }
    public var migrations: [Migration] { PayXTodayStore.migrations }
    /// The login is the reseller id: account 1 is reseller 1.
    public var defaultAccounts: [AccountSeed] {
        [AccountSeed(login: "1", secret: "sandbox-secret"), AccountSeed(login: "2", secret: "sandbox2-secret")]
    }
    /// The client pays on the pay page: nothing settles on its own.
    public var defaultSettle: SettleSettings { SettleSettings(.manual) }

    public init() {}

    public var credentialNames: (login: String, secret: String)? { ("id_reseller", "secret_key") }
    /// `id_reseller` is a number in every path, and the account it names.
    public var loginIsAccountID: Bool { true }

    /// Every call is under `/api/v1/{id_reseller}/{secret_key}/`.
    public func apiURL(mountURL: String, account: AccountSeed) -> String {
        "\(mountURL)/api/v1/\(PercentDecoding.encode(account.login))/\(PercentDecoding.encode(account.secret))/"
    }

    public func makeAccount(id: Int, ids: IDGenerator) -> AccountSeed {
        AccountSeed(login: String(id), secret: ids.token(15))
    }

    /// The reseller id in the path (`/api/v1/{id_reseller}/{secret_key}/…`).
    public func account(of request: HTTPRequest, _ context: ProviderContext) -> Int? {
        let segments = request.path.split(separator: "/")
        guard let v1 = segments.firstIndex(of: "v1"), v1 > 0, segments[v1 - 1] == "api", v1 + 1 < segments.count else {
            return nil
        }
        return Int(segments[v1 + 1])
    }

    public var conduct: Conduct {
        var conduct = Conduct()
        let api = "/api/v1/{id_reseller}/{secret_key}"
        let create = "POST \(api)/payments/create"
        conduct.creates = [create]
        conduct.statusReads = ["GET \(api)/payments/id", "GET \(api)/payments/uuid"]
        conduct.changes = ["POST \(api)/payments/delete"]
        conduct.payments = [
            create: [.response("data.id_payment")],
            "GET \(api)/payments/id": [.parameter("id_payment")],
            "GET \(api)/payments/uuid": [.response("data.id_payment")],
            "POST \(api)/payments/delete": [.parameter("id_payment")],
        ]
        conduct.order = [["id_client", "price", "period"]]
        conduct.noTokens = "PayXToday's credentials are in every call's path: it has no token to reuse or renew."
        return conduct
    }

    public var createRoute: String { "POST /api/v1/{id_reseller}/{secret_key}/payments/create" }

    /// The credentials are the path's `{id_reseller}/{secret_key}`.
    public func authorize(_ request: HTTPRequest, as account: AccountSeed, send: Send) async -> HTTPRequest {
        var request = request
        request.target = request.target
            .replacingOccurrences(of: "{id_reseller}", with: PercentDecoding.encode(account.login))
            .replacingOccurrences(of: "{secret_key}", with: PercentDecoding.encode(account.secret))
        return request
    }

    public func routes(_ context: ProviderContext) -> Router {
        PayXTodayRoutes(context: context).router()
    }

    public func complete(payment id: String, with outcome: Outcome, _ db: Database, _ context: ProviderContext) throws {
        guard let payment = Int(id) else { throw CompletionError.notFound }
        try PayXTodayStore.complete(db, id: payment, outcome: outcome, card: nil, context: context)
    }
}
