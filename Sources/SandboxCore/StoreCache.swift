import SQLiteStore

/// Rows as last read from the store, for the lookups nearly every request makes and whose
/// rows rarely change: an account by its credentials (a quarter of a Basic-auth GET's time
/// had gone into that read) and a bearer token. Whoever writes such rows calls `invalidate()`
/// once the write has committed (the accounts' control-plane calls, a reset).
///
/// A lookup notes the generation before it reads the store and keeps what it read only if no
/// invalidation came in between: what it read may predate the write being invalidated.
/// Only rows found are kept (a guessed key costs a read, not memory), at most `limit`.
final class StoreCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var generation = 0
        var entries: [Key: Value] = [:]
    }

    private let state = Locked(State())
    private let limit: Int

    init(limit: Int = 4096) { self.limit = limit }

    /// The cached value, else what `load` reads from the store (kept when found).
    func value(_ key: Key, load: () throws -> Value?) throws -> Value? {
        let (cached, generation) = state.withLock { ($0.entries[key], $0.generation) }
        if let cached { return cached }
        guard let loaded = try load() else { return nil }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= limit { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = loaded
        }
        return loaded
    }

    /// Call after a write to the cached rows has committed.
    func invalidate() {
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
