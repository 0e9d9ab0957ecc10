import HTTPServer
import SQLiteStore

/// A provider's view of the sandbox: the context scoped to its key, so that the accounts it
/// authenticates, the payments it records, the jobs it schedules and the deliveries it queues
/// are its own without its key being written again. The core hands one to every provider call.
public struct ProviderContext: Sendable {
    public let key: String
    /// How its payments settle when an account's settings say nothing.
    let defaultSettle: SettleSettings
    /// The sandbox-wide context (for what is not a provider's own).
    public let sandbox: SandboxContext

    public init(_ provider: any Provider, _ sandbox: SandboxContext) {
        key = provider.key
        defaultSettle = provider.defaultSettle
        self.sandbox = sandbox
    }

    public var store: Store { sandbox.store }
    public var clock: SandboxClock { sandbox.clock }
    public var ids: IDGenerator { sandbox.ids }
    public var logger: Logger { sandbox.logger }

    // MARK: accounts

    /// Its account whose login and secret match, or nil.
    public func authenticate(login: String, secret: String) throws -> Accounts.Account? {
        try sandbox.accounts.authenticate(provider: key, login: login, secret: secret)
    }

    public func account(login: String) throws -> Accounts.Account? {
        try sandbox.accounts.find(provider: key, login: login)
    }

    public func account(id: Int) throws -> Accounts.Account? {
        try sandbox.accounts.find(provider: key, id: id)
    }

    /// Every account of it, by id.
    public func accountList() throws -> [Accounts.Account] {
        try sandbox.accounts.list(provider: key)
    }

    /// An account's settings inside a transaction (`{}` when it has none).
    public func settings(_ db: Database, account: Int) throws -> JSON {
        try Accounts.settings(db, provider: key, id: account)
    }

    /// Keeps `token` as a bearer token of `account` for `lifetimeSeconds`. Expired ones go a day
    /// after their expiry: until then a refused call that sends one is still known as its account's.
    public func issueToken(_ token: String, account: Int, lifetimeSeconds: Int64) async throws {
        let now = clock.nowMilliseconds()
        try await store.write { db in
            try db.run("DELETE FROM bearer_tokens WHERE provider = ? AND expires_at <= ?", [key, now - 86_400_000])
            try db.run("INSERT INTO bearer_tokens (provider, token, account, expires_at) VALUES (?, ?, ?, ?)",
                       [key, token, account, now + lifetimeSeconds * 1000])
        }
    }

    /// The account a live bearer token of it belongs to (nil: unknown or expired).
    public func account(forToken token: String) throws -> Int? {
        try sandbox.account(forToken: token, provider: key)
    }

    /// The account a bearer token of it was issued to, live or expired (nil: unknown).
    public func account(forAnyToken token: String) throws -> Int? {
        try sandbox.account(forAnyToken: token, provider: key)
    }

    // MARK: payments

    /// What every create does beside its own insert, in its transaction: the new payment in
    /// the uniform view (the control plane's, the dashboard's) and its settle plan scheduled
    /// (none for a manual plan, or for `plan` nil).
    public func record(_ db: Database, id: String, account: Int, status: String, amount: String, currency: String?,
                       at: Int64, note: String? = nil, plan: SettlePlan?) throws {
        try Payments.record(db, provider: key, id: id, account: account, status: status, amount: amount,
                            currency: currency, at: at, note: note)
        if let plan { try schedule(plan, payment: id, db) }
    }

    /// Changes a recorded payment's status, noted on its timeline.
    public func setStatus(_ db: Database, id: String, status: String, at: Int64, note: String? = nil) throws {
        try Payments.setStatus(db, provider: key, id: id, status: status, at: at, note: note)
    }

    // MARK: jobs and deliveries

    /// When and how a new payment completes on its own: the request's `X-PaySandbox-Outcome`
    /// header first, then `forced` (a magic value), then the account's settle settings (or the
    /// provider's default).
    public func settlePlan(account: Int, request: HTTPRequest, forced: Outcome? = nil) throws(OutcomeError)
        -> SettlePlan
    {
        var outcome = forced
        if let header = request.headers["X-PaySandbox-Outcome"] {
            outcome = try Outcome.parse(header: header)
        }
        let settings = (try? sandbox.accounts.settle(provider: key, account: account)) ?? nil ?? defaultSettle
        let now = clock.nowMilliseconds()
        if let outcome {
            let after = outcome.afterSeconds ?? (settings.mode == .delay ? settings.seconds : 0)
            return SettlePlan(outcome: outcome, at: now + Int64(after) * 1000)
        }
        switch settings.mode {
        case .immediate: return SettlePlan(outcome: .success, at: now)
        case .delay: return SettlePlan(outcome: .success, at: now + Int64(settings.seconds) * 1000)
        case .manual: return SettlePlan(outcome: .success, at: nil)
        }
    }

    /// Schedules the plan's settle job (nothing for a manual plan), in the caller's transaction.
    public func schedule(_ plan: SettlePlan, payment: String, _ db: Database) throws {
        guard let at = plan.at else { return }
        try schedule(db, kind: .settle, payment: payment, at: at, payload: plan.outcome.json)
    }

    /// Schedules one of its jobs (`runJob` runs it when due), in the caller's transaction; the
    /// scheduler is woken when it commits if the job falls due before its next look.
    public func schedule(_ db: Database, kind: JobKind, payment: String, at: Int64, payload: JSON = [:]) throws {
        try Jobs.schedule(db, provider: key, kind: kind, payment: payment, at: at, payload: payload,
                          now: clock.nowMilliseconds())
        db.afterCommit { [sandbox] in sandbox.wake(dueAt: at) }
    }

    /// Cancels a payment's pending jobs (of one kind, or all).
    public func cancelJobs(_ db: Database, payment: String, kind: JobKind? = nil) throws {
        try Jobs.cancel(db, provider: key, payment: payment, kind: kind)
    }

    /// Queues a callback, webhook or postback in the caller's transaction: the sender is woken
    /// when it commits.
    public func enqueue(_ db: Database, _ callback: Callback, payment: String) throws {
        _ = try Outbox.enqueue(
            db,
            NewDelivery(provider: key, account: callback.account, payment: payment, kind: callback.kind,
                        url: callback.url, contentType: callback.contentType, body: callback.body),
            now: clock.nowMilliseconds())
        db.afterCommit { [sandbox] in sandbox.wake() }
    }

    // MARK: completing a payment

    /// The one way a payment completes (the control plane, a payer's page, a settle job): an
    /// unknown one is `CompletionError.notFound`, one whose status is not among `open`
    /// `alreadyFinal`; otherwise `update` changes the provider's own record and says what
    /// follows, and its status in the uniform view (noted on its timeline), its pending jobs
    /// cancelled and its callback queued follow, all in the caller's transaction.
    public func complete<Record>(_ db: Database, payment id: String, _ record: Record?, status: (Record) -> String,
                                 open: Set<String> = ["pending"], update: (Record) throws -> Completion) throws {
        guard let record else { throw CompletionError.notFound }
        guard open.contains(status(record)) else { throw CompletionError.alreadyFinal(status: status(record)) }
        let completion = try update(record)
        try setStatus(db, id: id, status: completion.status, at: clock.nowMilliseconds(), note: completion.note)
        try cancelJobs(db, payment: id)
        if let callback = completion.callback { try enqueue(db, callback, payment: id) }
    }
}

extension SandboxContext {
    /// This context as `provider` sees it.
    public func scoped(to provider: any Provider) -> ProviderContext { ProviderContext(provider, self) }
}

/// What completing a payment leaves beside the provider's own record (`ProviderContext.complete`):
/// its status in the uniform view, the note on its timeline, the callback it sends.
public struct Completion: Sendable {
    public var status: String
    public var note: String?
    public var callback: Callback?

    public init(status: String, note: String? = nil, callback: Callback? = nil) {
        self.status = status
        self.note = note
        self.callback = callback
    }
}

/// A callback, webhook or postback to queue: whose, what kind, where, what it says.
public struct Callback: Sendable {
    public let account: Int
    public let kind: String
    public let url: String
    public let contentType: String
    public let body: [UInt8]

    public init(account: Int, kind: String, url: String, json: JSON) {
        self.init(account: account, kind: kind, url: url, contentType: "application/json", body: json.serializedBytes())
    }

    public init(account: Int, kind: String, url: String, contentType: String, body: [UInt8]) {
        self.account = account
        self.kind = kind
        self.url = url
        self.contentType = contentType
        self.body = body
    }
}
