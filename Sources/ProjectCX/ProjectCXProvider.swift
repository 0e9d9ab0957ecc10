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
