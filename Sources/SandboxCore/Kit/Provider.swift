import HTTPServer
import SQLiteStore

/// What one emulated provider plugs into the sandbox: its tables, its default
/// accounts, its routes, and how its payments complete. The core never switches over
/// provider names.
public protocol Provider: Sendable {
    /// Its error type: every error it answers is in its shape (`ProviderError`).
    associatedtype Failure: ProviderError
    /// The mount key: "projectcx", "paytomat", ….
    var key: String { get }
    /// The name people know it by.
    var displayName: String { get }
    /// The dedicated port that serves its documented paths without a prefix.
    var defaultPort: Int { get }
    /// Its tables, applied after the core's.
    var migrations: [Migration] { get }
    /// Accounts seeded on first start and after a reset (the first one is account 1); by
    /// default `sandbox` / `sandbox-secret` and `sandbox2` / `sandbox2-secret`.
    var defaultAccounts: [AccountSeed] { get }
    /// How its payments settle when nobody acts, unless an account's settings say otherwise.
    var defaultSettle: SettleSettings { get }
    /// What its users call an account's login and secret (`username` / `password`,
    /// `client_id` / `client_secret`, …); nil where it has no credentials.
    var credentialNames: (login: String, secret: String)? { get }
    /// Whether its API names an account by its number, so that a login is the account's id
    /// (PayXToday's `id_reseller`).
    var loginIsAccountID: Bool { get }
    /// How the banner names an account's credentials ("username sandbox, password sandbox-secret").
    func describe(_ account: AccountSeed) -> String
    /// Its creating call as its document writes it ("POST /rest2/payment/create"): the
    /// dashboard's "lost answers on create" fault.
    var createRoute: String { get }
    /// Where a client of `account` points its base URL, given where the provider is mounted
    /// (`http://localhost:8080/projectcx`): PayXToday's has the credentials in its path.
    func apiURL(mountURL: String, account: AccountSeed) -> String
    /// Credentials for a fresh account (`POST /_sandbox/accounts`) with the given id.
    func makeAccount(id: Int, ids: IDGenerator) -> AccountSeed
    /// Seeds provider data beyond accounts (runs in the seeding transaction).
    func seed(_ db: Database, context: ProviderContext) throws
    /// Its routes, with the documented paths.
    func routes(_ context: ProviderContext) -> Router
    /// Its own control-plane calls, mounted at `/_sandbox/<key>/` (nil for none).
    func controlRoutes(_ context: ProviderContext) -> Router?
    /// Completes one of its payments now, as the provider would (state, callbacks), inside
    /// the caller's transaction. Throws `CompletionError` for unknown or finished payments.
    func complete(payment id: String, with outcome: Outcome, _ db: Database, _ context: ProviderContext) throws
    /// An error answer in its own shape with `status` (a failure of the sandbox itself, a
    /// fault asked for), saying `message` where that shape has room for one.
    func error(status: Int, message: String) -> HTTPResponse
    /// Which of its accounts a request comes from, by its credentials (nil: none, or not
    /// valid). Asked only by fault rules that name an account.
    func account(of request: HTTPRequest, _ context: ProviderContext) -> Int?
    /// Which of its accounts a request names, by its credentials, also where they are refused
    /// (a wrong secret for a known login, an expired token): the journal's attribution, off the
    /// request path. By default `account(of:)`. Where the request has an `Authorization` header,
    /// the answer must follow from it alone: the journal remembers it per header; where it has
    /// neither that header nor a body, an account found must follow from its target alone.
    func caller(of request: HTTPRequest, _ context: ProviderContext) -> Int?
    /// What its calls mean (creates, status reads, tokens, where a call names its payment),
    /// for the journal and the witness.
    var conduct: Conduct { get }
    /// Runs one of its scheduled jobs inside the job's transaction.
    func runJob(_ job: Job, _ db: Database, _ context: ProviderContext) throws
    /// `request` to one of its routes, made as a client of `account` makes it: the credentials
    /// where its clients put them (`{…}` in the path filled in), a token asked for first
    /// through `send` where it needs one. A fixtures file's payments are made this way.
    func authorize(_ request: HTTPRequest, as account: AccountSeed, send: Send) async -> HTTPRequest
}

/// Sends a request to a provider's own routes and gives its answer.
public typealias Send = @Sendable (HTTPRequest) async -> HTTPResponse

extension Provider {
    public var defaultAccounts: [AccountSeed] {
        [AccountSeed(login: "sandbox", secret: "sandbox-secret"),
         AccountSeed(login: "sandbox2", secret: "sandbox2-secret")]
    }

    public var credentialNames: (login: String, secret: String)? { nil }

    public var loginIsAccountID: Bool { false }

    public func describe(_ account: AccountSeed) -> String {
        guard let names = credentialNames else { return "login \(account.login)" }
        return "\(names.login) \(account.login), \(names.secret) \(account.secret)"
    }

    public func apiURL(mountURL: String, account: AccountSeed) -> String { mountURL }

    public func account(of request: HTTPRequest, _ context: ProviderContext) -> Int? { nil }

    public func seed(_ db: Database, context: ProviderContext) throws {}

    public func caller(of request: HTTPRequest, _ context: ProviderContext) -> Int? { account(of: request, context) }

    public var conduct: Conduct { Conduct() }

    public func controlRoutes(_ context: ProviderContext) -> Router? { nil }

    public func authorize(_ request: HTTPRequest, as account: AccountSeed, send: Send) async -> HTTPRequest {
        request
    }

    /// `request` with a Bearer token: the `field` of the JSON answer to `tokenRequest` (the
    /// provider's login or token call, sent from where `request` comes).
    public func bearer(_ request: HTTPRequest, from tokenRequest: HTTPRequest, field: String, send: Send) async
        -> HTTPRequest
    {
        var tokenRequest = tokenRequest
        tokenRequest.remoteAddress = request.remoteAddress
        var request = request
        if let token = try? JSON.parse(await send(tokenRequest).body)[field]?.stringValue {
            request.headers.set("Authorization", "Bearer " + token)
        }
        return request
    }

    public func makeAccount(id: Int, ids: IDGenerator) -> AccountSeed {
        AccountSeed(login: "\(key)-\(id)-\(ids.hex(3))", secret: ids.token(18))
    }

    /// The default job: "settle" completes the payment with the outcome in its payload.
    public func runJob(_ job: Job, _ db: Database, _ context: ProviderContext) throws {
        guard job.kind == .settle else { return }
        do {
            try complete(payment: job.payment, with: Outcome(payload: job.payload) ?? .success, db, context)
        } catch CompletionError.alreadyFinal {
            // Completed meanwhile (page, control plane): nothing left to do.
        }
    }
}

/// Why a payment cannot be completed.
public enum CompletionError: Error, Sendable, Equatable {
    case notFound
    case alreadyFinal(status: String)
}

/// Credentials of one account: a login (user name, client id, reseller id) and a secret.
public struct AccountSeed: Sendable, Equatable {
    public let login: String
    public let secret: String

    public init(login: String, secret: String) {
        self.login = login
        self.secret = secret
    }
}
