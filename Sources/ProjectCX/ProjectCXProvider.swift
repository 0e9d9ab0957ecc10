import HTTPServer
import SQLiteStore
import SandboxCore

public struct ProjectCXProvider: Provider {
    public static let key = "projectcx"
    public var key: String { Self.key }
    public var displayName: String { "Project CX" }
    public var defaultPort: Int { 8081 }
    public var migrations: [Migration] { ProjectCXStore.migrations }
    public var defaultAccounts: [AccountSeed] {
        [AccountSeed(login: "sandbox", secret: "sandbox-secret"), AccountSeed(login: "sandbox2", secret: "sandbox2-secret")]
    }

    public init() {}

    public func describe(_ account: AccountSeed) -> String {
        "username \(account.login), password \(account.secret)"
    }

    public func routes(_ context: SandboxContext) -> Router {
        ProjectCXRoutes(context: context).router()
    }
}
