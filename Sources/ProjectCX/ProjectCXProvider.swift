import HTTPServer
import SQLiteStore
import SandboxCore

public struct ProjectCXProvider: Provider {
    public typealias Failure = ProjectCXError
    /// Amounts are cents; Project CX (project-cx.com.au) charges Australian dollars.
    static let currency = "AUD"

    public var key: String { "projectcx" }
    public var displayName: String { "Project CX" }
    public var defaultPort: Int { 8081 }
    public var migrations: [Migration] { ProjectCXStore.migrations }
    /// The payer completes an order on the payment page: nothing settles on its own.
    public var defaultSettle: SettleSettings { SettleSettings(.manual) }

    public init() {}

    public var credentialNames: (login: String, secret: String)? { ("username", "password") }

    public func apiURL(mountURL: String, account: AccountSeed) -> String { mountURL + "/rest2" }

    /// By its bearer token (a login names no account yet).
    public func account(of request: HTTPRequest, _ context: ProviderContext) -> Int? {
        request.bearerToken.flatMap { try? context.account(forToken: $0) }
    }

    /// Also a refused call's: a token that expired, or the login a wrong password was sent for.
    public func caller(of request: HTTPRequest, _ context: ProviderContext) -> Int? {
        if let token = request.bearerToken { return try? context.account(forAnyToken: token) }
        guard request.path.hasSuffix("/rest2/login"), let login = (try? RequestParams(request))?.string("username")
        else { return nil }
        return try? context.account(login: login)?.id
    }

    public var conduct: Conduct {
        var conduct = Conduct()
        conduct.creates = ["POST /rest2/payment/create"]
        conduct.payments = ["POST /rest2/payment/create": [.response("orderId")],
                            "GET /payment": [.parameter("orderId")]]
        conduct.tokenCalls = ["POST /rest2/login"]
        conduct.tokenLifetime = Int(ProjectCXRoutes.tokenLifetime)
        conduct.order = [["amount", "callback"]]
        conduct.noStatusCall = "Project CX's document has no call that reads a payment: its unsigned callback is the "
            + "only word of the outcome, so anyone who knows the callback URL can forge one. Give each order a "
            + "callback URL nobody can guess, and check the callback's orderId and amount against your own order."
        return conduct
    }

    public var createRoute: String { "POST /rest2/payment/create" }

    /// A Bearer token from `POST /rest2/login`, as its clients log in first.
    public func authorize(_ request: HTTPRequest, as account: AccountSeed, send: Send) async -> HTTPRequest {
        var login = HTTPRequest(method: "POST", target: "/rest2/login",
                                body: Array(JSON.object([("username", .string(account.login)),
                                                         ("password", .string(account.secret))]).serialized().utf8))
        login.headers.set("Content-Type", "application/json")
        return await bearer(request, from: login, field: "auth_token", send: send)
    }

    public func routes(_ context: ProviderContext) -> Router {
        ProjectCXRoutes(context: context).router()
    }

    public func complete(payment id: String, with outcome: Outcome, _ db: Database, _ context: ProviderContext) throws {
        try ProjectCXStore.complete(db, id: id, outcome: outcome, context: context)
    }
}
