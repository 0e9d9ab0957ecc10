import HTTPServer
import SQLiteStore
import Locks

/// Calls a module adds to the `/_sandbox/` control plane, behind its guards (the admin token,
/// the cross-site rules), without the core knowing the module.
public protocol ControlExtension: Sendable {
    func register(_ router: inout Router, sandbox: Sandbox)
}

/// How a sandbox is set up (the CLI's flags; tests' choices).
public struct SandboxConfiguration: Sendable {
    public var databasePath = "./paysandbox.sqlite"
    /// Freezes the clock at this time (ms since 1970); it then moves only when advanced.
    public var startTime: Int64?
    /// Seeds the id generator, so the same calls give the same ids.
    public var seed: UInt64?
    public var delivery = DeliveryPolicy()
    /// How many requests the journal keeps.
    public var journalSize = 1000
    public var logger = Logger()
    /// Who may use the control plane and the dashboard.
    public var admin = AdminAccess()
    /// Accounts, collections and payments made at start and by every reset (`--fixtures`).
    public var fixtures: Fixtures?
    /// Resets on a timer (`--reset-every`, `--reset-to`).
    public var resets: ResetSchedule?
    /// Seeds the providers' default accounts (not with `--fixtures-only`).
    public var defaultAccounts = true
    /// Control-plane calls beside the core's (the witness's verification, reports and trials).
    public var extensions: [any ControlExtension] = []

    public init(databasePath: String = "./paysandbox.sqlite") {
        self.databasePath = databasePath
    }
}

/// The sandbox: the store, the clock, the providers, the scheduler. It opens and
/// migrates the store, seeds default accounts on first start, and builds the routers
/// the server listens with.
public final class Sandbox: Sendable {
    public let context: SandboxContext
    public let providers: [any Provider]
    public let scheduler: Scheduler
    public let journal: RequestJournal
    public let startedAt: Int64
    public let admin: AdminAccess
    public let faults: Faults
    public let snapshots: Snapshots
    /// Callbacks caught at `/_sandbox/inbox/{name}`.
    public let inbox = Inbox()
    /// This build's version (`paysandbox --version`, `paysandbox_build_info`).
    public static let version = "0.12.0"
    /// Open connections, as the server that serves this sandbox counts them (0 before one does).
    private let connectionGauge = Locked<(@Sendable () -> Int)?>(nil)

    /// Connections open now (`/_sandbox/metrics`).
    public func openConnections() -> Int { connectionGauge.withLock { $0 }?() ?? 0 }

    /// Set by the server that serves this sandbox.
    public func countConnections(_ gauge: @escaping @Sendable () -> Int) { connectionGauge.withLock { $0 = gauge } }
    public var resets: ResetSchedule? { configuration.resets }
    let migrations: [Migration]
    public let configuration: SandboxConfiguration
    /// Whether this start made the fixtures' state (a new database, or another file than
    /// the state was made from).
    public var appliedFixtures: Bool { fixturesApplied.withLock { $0 } }
    private let fixturesApplied = Locked(false)
    /// Each provider's routes ("POST /api/v1/create_transaction"), for checking fault rules.
    let routeTables: [String: [String]]

    public convenience init(databasePath: String, providers: [any Provider], logger: Logger = Logger()) throws {
        var configuration = SandboxConfiguration(databasePath: databasePath)
        configuration.logger = logger
        try self.init(configuration: configuration, providers: providers)
    }

    public init(configuration: SandboxConfiguration, providers: [any Provider]) throws {
        let store = try Store(path: configuration.databasePath, mayBlock: { !HTTPServer.isOnEventLoop })
        context = SandboxContext(store: store, clock: SandboxClock(startMilliseconds: configuration.startTime),
                                 ids: IDGenerator(seed: configuration.seed), logger: configuration.logger)
        self.providers = providers
        self.configuration = configuration
        admin = configuration.admin
        faults = Faults(store: store, seed: configuration.seed)
        snapshots = Snapshots(databasePath: configuration.databasePath, inMemory: store.isInMemory)
        migrations = CoreMigrations.all + providers.flatMap(\.migrations)
        startedAt = SandboxClock.systemMilliseconds()
        scheduler = Scheduler(context: context, providers: providers, policy: configuration.delivery, faults: faults)
        routeTables = Dictionary(
            providers.map { [context] in ($0.key, $0.routes(context.scoped(to: $0)).table) },
            uniquingKeysWith: { a, _ in a })
        let history = try Store(
            path: RequestJournal.historyPath(for: configuration.databasePath, inMemory: store.isInMemory),
            mayBlock: { !HTTPServer.isOnEventLoop }, pageSize: RequestJournal.pageSize)
        journal = try RequestJournal(
            capacity: configuration.journalSize, store: history,
            attributor: Attributor(providers, tables: routeTables, context: context))
        try store.migrate(migrations)
        // A state from before the history had a database of its own hands it over (looked for
        // first: a start with nothing to hand over writes nothing).
        if try store.read({ db in try db.queryOne("SELECT 1 FROM journal LIMIT 1") }) != nil {
            try store.write { db in try journal.adopt(db, onlyIfAny: true) }
        }
        try loadKeptState()
        let seeded = try context.accounts.count()
        if let fixtures = configuration.fixtures {
            // Made at every start, so that a wrong file stops it; kept only where the state was
            // not made from this file already (a restart keeps what visitors did).
            let state = try fixtureState(fixtures)
            if try seeded == 0 || context.kept("fixtures") != fixtures.fingerprint {
                try restore(bytes: state)
                fixturesApplied.withLock { $0 = true }
            }
        } else if seeded == 0 {
            try store.write { db in try seed(db) }
        }
        if let name = configuration.resets?.snapshot, !snapshots.exists(name) {
            throw SnapshotError.notFound("--reset-to: no snapshot '\(name)' (take it first: POST /_sandbox/snapshots)")
        }
        context.wakeup.set { [weak scheduler] in scheduler?.wake() }
    }

    /// Starts the scheduled resets, if any (after the server has started).
    public func startResets() {
        resets?.start(self)
    }

    public var store: Store { context.store }

    public func provider(_ key: String) -> (any Provider)? {
        providers.first { $0.key == key }
    }

    /// Wipes every table and seeds the default accounts again, in one transaction; the
    /// clock goes back to where it started and the journal empties. With fixtures, the state
    /// becomes the fixtures' (made afresh), in one step as a restore is.
    public func reset() throws {
        inbox.clear(nil)
        if let fixtures = configuration.fixtures {
            return try restore(bytes: try fixtureState(fixtures))
        }
        journal.clear()
        try store.write { db in
            for table in try Migrator.tables(db) {
                try db.execute("DELETE FROM \"\(table)\"")
            }
            // Ids start again as on a fresh start: the AUTOINCREMENT counters and the seeded generator.
            if try db.queryOne("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'") != nil {
                try db.execute("DELETE FROM sqlite_sequence")
            }
            context.ids.restart()
            context.clock.restore(advancedMilliseconds: 0)
            try seed(db)
        }
        try journal.erase()
        journal.clear()
        context.invalidateCaches()
        faults.clear()
    }

    /// Completes one of `provider`'s payments now, as the provider would (state, callbacks):
    /// the control plane's outcome call, the dashboard's buttons, a fixture's `outcome`.
    /// Throws `CompletionError` for unknown or finished payments.
    public func complete(_ provider: any Provider, payment id: String, with outcome: Outcome) throws {
        try store.write { db in try provider.complete(payment: id, with: outcome, db, context.scoped(to: provider)) }
    }

    /// Sends a delivery again from its first attempt; the delivery as the replay left it (before
    /// the sender picks it up), nil for an unknown id.
    func replay(delivery id: Int64) throws -> JSON? {
        try store.write { db -> JSON? in
            guard try Outbox.replay(db, id: id, now: context.clock.nowMilliseconds()) else { return nil }
            db.afterCommit { [context] in context.wake() }
            return try Outbox.find(db, id: id)
        }
    }

    /// Payments as the control plane and the dashboard list them, newest first.
    func payments(_ filter: Payments.Filter) throws -> [JSON] { try store.read { db in try Payments.list(db, filter) } }

    func payment(provider: String, id: String) throws -> JSON? {
        try store.read { db in try Payments.find(db, provider: provider, id: id) }
    }

    /// The id of an account's newest payment.
    func newestPayment(provider: String, account: Int) throws -> String? {
        try store.read { db in try Payments.newest(db, provider: provider, account: account) }
    }

    func deliveries(_ filter: Outbox.Filter) throws -> [JSON] { try store.read { db in try Outbox.list(db, filter) } }

    func delivery(id: Int64) throws -> JSON? { try store.read { db in try Outbox.find(db, id: id) } }

    /// A payment with its timeline and (up to `deliveries`) deliveries, as one read sees them.
    func story(provider: String, payment id: String, deliveries limit: Int) throws
        -> (payment: JSON, timeline: [JSON], deliveries: [JSON])?
    {
        try store.read { db in
            guard let payment = try Payments.find(db, provider: provider, id: id) else { return nil }
            var filter = Outbox.Filter()
            filter.provider = provider
            filter.payment = id
            filter.limit = limit
            return (payment, try Payments.timeline(db, provider: provider, id: id), try Outbox.list(db, filter))
        }
    }

    /// The whole state as of now, kept as `name`.
    public func takeSnapshot(_ name: String) throws -> JSON {
        try Snapshots.check(name)
        guard !snapshots.exists(name) else {
            throw SnapshotError.exists("a snapshot '\(name)' exists already: delete it first")
        }
        return try snapshots.save(name, try journal.including(in: store.snapshot()), now: context.clock.nowISO8601())
    }

    /// Checks that `bytes` are a database of this sandbox (an older one is migrated), then
    /// makes the live state exactly that, in one step: caches dropped, fault rules and the
    /// clock's advance read back, due jobs and deliveries taken up from the restored state.
    public func restore(bytes: [UInt8]) throws {
        let source = try checked(bytes)
        journal.clear()
        try journal.adopt(source)
        try store.restore(from: source)
        journal.clear()
        context.invalidateCaches()
        try loadKeptState()
        context.wake()
    }

    /// What the store keeps beside the tables that live objects follow: the clock's advance
    /// and the fault rules.
    private func loadKeptState() throws {
        context.clock.restore(advancedMilliseconds: Int64(try context.kept("clock_advanced_ms") ?? "") ?? 0)
        try faults.load()
    }


    /// `bytes` opened as a database of this sandbox's schema (migrated when older), or a
    /// `SnapshotError.bad` that says why not.
    func checked(_ bytes: [UInt8]) throws -> Database {
        let db: Database
        do {
            db = try Store.open(bytes: bytes)
        } catch {
            throw SnapshotError.bad("not a SQLite database file, or a damaged one (\(error))")
        }
        guard let applied = try? db.query("SELECT id FROM schema_migrations").compactMap({ $0[0].string }) else {
            throw SnapshotError.bad("a SQLite database, but not a PaySandbox one (no schema_migrations)")
        }
        let known = Set(migrations.map(\.id))
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw SnapshotError.bad(
                "made by a newer PaySandbox (migration '\(unknown)' is unknown here): upgrade this one")
        }
        guard !applied.isEmpty, applied.contains(CoreMigrations.all[0].id) else {
            throw SnapshotError.bad("a SQLite database, but not a PaySandbox one")
        }
        do {
            try Migrator.migrate(db, migrations)
        } catch {
            throw SnapshotError.bad("its schema could not be brought up to date: \(error)")
        }
        return db
    }

    /// The state `fixtures` make on a fresh start, built in a sandbox of its own in memory (its
    /// scheduler never runs: its jobs and deliveries are this one's once restored). A wrong file
    /// throws its `FixtureError` and changes nothing here.
    func fixtureState(_ fixtures: Fixtures) throws -> [UInt8] {
        var scratch = configuration
        scratch.databasePath = ":memory:"
        scratch.fixtures = nil
        scratch.resets = nil
        scratch.defaultAccounts = !fixtures.only
        // Ids of its own: those this sandbox makes next must not be the fixtures' again.
        scratch.seed = configuration.seed.map { $0 ^ 0x5EED_F1C7_0000_0001 }
        let sandbox = try Sandbox(configuration: scratch, providers: providers)
        sandbox.context.wakeup.set {}
        try fixtures.apply(to: sandbox)
        try sandbox.store.write { db in try SandboxContext.keep(db, "fixtures", fixtures.fingerprint) }
        return try sandbox.store.snapshot()
    }

    private func seed(_ db: Database) throws {
        let now = context.clock.nowISO8601()
        for provider in providers where configuration.defaultAccounts {
            for account in provider.defaultAccounts {
                _ = try Accounts.insert(db, provider: provider.key, seed: account, now: now)
            }
            try provider.seed(db, context: context.scoped(to: provider))
        }
    }

    /// The main port's router: every provider under `/<key>`, the control plane under `/_sandbox`.
    public func mainRouter() -> Router {
        var router = Router()
        for provider in providers {
            router.mount("/" + provider.key, providerRouter(provider))
        }
        router.mount("/_sandbox", ControlPlane(sandbox: self).routes())
        router.get("/") { _ in .redirect(to: "/_sandbox/") }
        return router
    }

    /// A provider's router (its documented paths), with the request journal listening.
    public func providerRouter(_ provider: any Provider) -> Router {
        let scoped = context.scoped(to: provider)
        var router = provider.routes(scoped)
        let key = provider.key
        router.notFound = { request in provider.notFound(request) }
        router.methodNotAllowed = { request, allowed in provider.methodNotAllowed(request, allowed) }
        router.errorResponse = { [logger = context.logger] error, request in
            provider.errorResponse(error, request, logger: logger)
        }
        router.faults = { [faults] request in
            faults.plan(for: request, provider: key, account: { provider.account(of: request, scoped) },
                        error: { provider.error(status: $0, message: $1) })
        }
        router.observer = { [journal, context] request, response, duration in
            journal.record(
                provider: key, request: request, response: response, duration: duration,
                at: context.clock.nowMilliseconds())
        }
        return router
    }
}
