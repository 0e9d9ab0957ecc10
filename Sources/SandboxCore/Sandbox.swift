import HTTPServer
import SQLiteStore

/// The sandbox: the store, the clock, the providers and their routes. It opens and
/// migrates the store, seeds default accounts on first start, and builds the routers
/// the server listens with.
public final class Sandbox: Sendable {
    public let context: SandboxContext
    public let providers: [any Provider]
    public let startedAt: Int64

    public init(databasePath: String, providers: [any Provider], logger: Logger = Logger()) throws {
        let store = try Store(path: databasePath)
        context = SandboxContext(store: store, clock: SandboxClock(), ids: IDGenerator(), logger: logger)
        self.providers = providers
        startedAt = SandboxClock.systemMilliseconds()
        let migrations = CoreMigrations.all + providers.flatMap(\.migrations)
        try store.migrate(migrations)
        let seeded = try store.read { db in try db.queryOne("SELECT COUNT(*) FROM accounts")?[0].int ?? 0 }
        if seeded == 0 { try store.write { db in try seed(db) } }
    }

    public var store: Store { context.store }

    public func provider(_ key: String) -> (any Provider)? {
        providers.first { $0.key == key }
    }

    /// Wipes every table and seeds the default accounts again, in one transaction.
    public func reset() throws {
        try store.write { db in
            for table in try Migrator.tables(db) {
                try db.execute("DELETE FROM \"\(table)\"")
            }
            try seed(db)
        }
    }

    private func seed(_ db: Database) throws {
        let now = context.clock.nowISO8601()
        for provider in providers {
            for account in provider.defaultAccounts {
                _ = try Accounts.insert(db, provider: provider.key, seed: account, now: now)
            }
            try provider.seed(db, context: context)
        }
    }

    /// The main port's router: every provider under `/<key>`, the control plane under `/_sandbox`.
    public func mainRouter() -> Router {
        var router = Router()
        for provider in providers {
            router.mount("/" + provider.key, provider.routes(context))
        }
        router.mount("/_sandbox", ControlPlane(sandbox: self).routes())
        return router
    }

    /// A provider's router on its dedicated port: its documented paths with no prefix.
    public func providerRouter(_ provider: any Provider) -> Router {
        provider.routes(context)
    }
}
