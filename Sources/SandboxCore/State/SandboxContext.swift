import HTTPServer
import SQLiteStore
import Locks

/// What a provider's handlers use: the store, the clock, ids, accounts, and a way to
/// have the scheduler look at once for work a change made due.
public struct SandboxContext: Sendable {
    public let store: Store
    public let clock: SandboxClock
    public let ids: IDGenerator
    public let logger: Logger
    let wakeup = Wakeup()
    let accountCache = StoreCache<AccountKey, Accounts.Account>()
    /// Bearer tokens by provider key and token: tokens are only ever added (expired ones are
    /// refused by their expiry, then deleted), so only a reset invalidates it.
    let tokens = StoreCache<String, BearerToken>()

    public var accounts: Accounts { Accounts(store: store, clock: clock, ids: ids, cache: accountCache) }

    /// Wakes the scheduler and the sender: what a committed transaction queued or scheduled
    /// (`Database.afterCommit`, from `ProviderContext`), or a whole new state (a restore).
    func wake() { wakeup.fire() }

    /// The account a live bearer token of `provider` belongs to (nil: unknown or expired), from
    /// the token cache or the store (`ProviderContext.issueToken`).
    func account(forToken token: String, provider: String) throws -> Int? {
        let now = clock.nowMilliseconds()
        let live = try tokens.value(provider + " " + token) {
            try store.read { db in
                try db.queryOne("""
                    SELECT account, expires_at FROM bearer_tokens WHERE provider = ? AND token = ? AND expires_at > ?
                    """, [provider, token, now]
                ).map { BearerToken(account: $0[0].int ?? 0, expiresAt: $0[1].int64 ?? 0) }
            }
        }
        guard let live, live.expiresAt > now else { return nil }
        return live.account
    }

    /// The account a bearer token of `provider` was issued to, live or expired (nil: unknown):
    /// whose a refused call was, for the journal.
    func account(forAnyToken token: String, provider: String) throws -> Int? {
        try store.read { db in
            try db.queryOne("SELECT account FROM bearer_tokens WHERE provider = ? AND token = ?", [provider, token])?[0]
                .int
        }
    }

    /// A value kept in the store beside the tables (`sandbox_state`): the clock's advance, the
    /// fixtures' fingerprint, a provider's signing secret.
    public func kept(_ key: String) throws -> String? {
        try store.read { db in try db.queryOne("SELECT value FROM sandbox_state WHERE key = ?", [key])?[0].string }
    }

    /// Keeps `value` as `key` (see `kept`), in the caller's transaction.
    public static func keep(_ db: Database, _ key: String, _ value: String) throws {
        try db.run("""
            INSERT INTO sandbox_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, [key, value])
    }

    /// After a reset: nothing read before it may be served.
    func invalidateCaches() {
        accountCache.invalidate()
        tokens.invalidate()
    }

    /// Wakes the scheduler if a job just scheduled (its transaction committed) falls due within
    /// `Scheduler.horizonMilliseconds`. A later one needs no wake-up: the ticks (at most that
    /// far apart) each set a one-shot wake-up for what falls due before the next.
    func wake(dueAt at: Int64?) {
        guard let at, at - clock.nowMilliseconds() <= Scheduler.horizonMilliseconds else { return }
        wake()
    }
}

/// The scheduler's wake-up, reachable from handlers without owning the scheduler.
///
/// The closure sits in a struct: a closure stored directly as a lock's generic value is
/// reabstracted on the way into `withLock`'s inout and again on the write-back, so every
/// `fire()` wrapped it in two more thunks: each call slower than the last, and after about
/// 16,000 wake-ups a call chain deep enough to overflow a connection thread's stack.
final class Wakeup: Sendable {
    private struct Action: Sendable { let run: @Sendable () -> Void }
    private let action = Locked<Action?>(nil)

    func set(_ f: @escaping @Sendable () -> Void) { action.withLock { $0 = Action(run: f) } }

    func fire() { action.withLock { $0 }?.run() }
}
