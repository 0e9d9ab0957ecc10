import SQLiteStore

/// Accounts of every provider, in one table: `(provider, id)` with a login and a secret.
public struct Accounts: Sendable {
    let store: Store
    let clock: SandboxClock

    public struct Account: Sendable, Equatable {
        public let provider: String
        public let id: Int
        public let login: String
        public let secret: String
    }

    /// The account whose login and secret match, or nil.
    public func authenticate(provider: String, login: String, secret: String) throws -> Account? {
        guard let account = try find(provider: provider, login: login) else { return nil }
        return constantTimeEqual(account.secret, secret) ? account : nil
    }

    public func find(provider: String, login: String) throws -> Account? {
        try store.read { db in
            try db.queryOne("SELECT id, login, secret FROM accounts WHERE provider = ? AND login = ?", [provider, login])
                .map { Account(provider: provider, id: $0[0].int ?? 0, login: $0[1].string ?? "", secret: $0[2].string ?? "") }
        }
    }

    /// Inserts an account with the next id of its provider; returns the id.
    static func insert(_ db: Database, provider: String, seed: AccountSeed, now: String) throws -> Int {
        let next = try db.queryOne("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts WHERE provider = ?", [provider])?[0].int ?? 1
        try db.run("INSERT INTO accounts (provider, id, login, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                   [provider, next, seed.login, seed.secret, now])
        return next
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
