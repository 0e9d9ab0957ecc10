import SQLiteStore
import Locks

/// Rows as last read from the store, for the lookups nearly every request makes and whose
/// rows rarely change: an account by its credentials (a quarter of a Basic-auth GET's time
/// had gone into that read), a bearer token, a payment a client polls. Either whoever writes
/// such rows calls `invalidate()` once the write has committed (the accounts' control-plane
/// calls, a reset), or the cache follows a store's `commits` and starts over after any write
/// transaction at all (for rows that many code paths write).
///
/// A lookup notes the generation (and the store's commit count) before it reads the store
/// and keeps what it read only if neither moved in between: what it read may predate the
/// write. Only rows found are kept (a guessed key costs a read, not memory), at most `limit`.
public final class StoreCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var generation = 0
        var commits = 0
        var entries: [Key: Value] = [:]
    }

    private let state = Locked(State())
    private let limit: Int
    private let store: Store?

    /// `following`: a store whose every write transaction empties the cache.
    public init(limit: Int = 4096, following store: Store? = nil) {
        self.limit = limit
        self.store = store
    }

    /// The cached value, else what `load` reads from the store (kept when found).
    public func value(_ key: Key, load: () throws -> Value?) throws -> Value? {
        let commits = store?.commits ?? 0
        let (cached, generation) = state.withLock { ($0.commits == commits ? $0.entries[key] : nil, $0.generation) }
        if let cached { return cached }
        guard let loaded = try load() else { return nil }
        state.withLock { state in
            guard state.generation == generation, store?.commits ?? 0 == commits else { return }
            if state.commits != commits || state.entries.count >= limit {
                state.commits = commits
                state.entries.removeAll(keepingCapacity: true)
            }
            state.entries[key] = loaded
        }
        return loaded
    }

    /// Call after a write to the cached rows has committed.
    public func invalidate() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }
}

/// A bearer token's account and expiry (milliseconds on the sandbox clock), as cached.
struct BearerToken: Sendable {
    let account: Int
    let expiresAt: Int64
}
