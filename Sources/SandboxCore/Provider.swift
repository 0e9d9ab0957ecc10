import HTTPServer
import SQLiteStore

/// What one emulated provider plugs into the sandbox: its tables, its default
/// accounts, its routes. The core never switches over provider names.
public protocol Provider: Sendable {
    /// The mount key: "projectcx", "paytomat", ….
    var key: String { get }
    /// The name people know it by.
    var displayName: String { get }
    /// The dedicated port that serves its documented paths without a prefix.
    var defaultPort: Int { get }
    /// Its tables, applied after the core's.
    var migrations: [Migration] { get }
    /// Accounts seeded on first start and after a reset (the first one is account 1).
    var defaultAccounts: [AccountSeed] { get }
    /// How the banner and README name an account's credentials ("username sandbox, password sandbox-secret").
    func describe(_ account: AccountSeed) -> String
    /// Seeds provider data beyond accounts (runs in the seeding transaction).
    func seed(_ db: Database, context: SandboxContext) throws
    /// Its routes, with the documented paths.
    func routes(_ context: SandboxContext) -> Router
}

extension Provider {
    public func seed(_ db: Database, context: SandboxContext) throws {}
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
