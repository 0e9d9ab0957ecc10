import HTTPServer
import SQLiteStore

/// Accounts of every provider, in one table: `(provider, id)` with a login, a secret and
/// settings (JSON: the settle mode, provider-specific URLs and contacts).
public struct Accounts: Sendable {
    let store: Store
    let clock: SandboxClock
    let ids: IDGenerator
    let cache: StoreCache<AccountKey, Account>

    public struct Account: Sendable, Equatable {
        public let provider: String
        public let id: Int
        public let login: String
        public let secret: String
        public let settings: JSON

        public var json: JSON {
            ["provider": .string(provider), "account": .int(id), "login": .string(login), "secret": .string(secret), "settings": settings]
        }
    }

    /// The account whose login and secret match, or nil.
    public func authenticate(provider: String, login: String, secret: String) throws -> Account? {
        guard let account = try find(provider: provider, login: login) else { return nil }
        return constantTimeEquals(account.secret.utf8, secret.utf8) ? account : nil
    }

    public func find(provider: String, login: String) throws -> Account? {
        try cache.value(.login(provider, login)) {
            try store.read { db in
                try db.queryOne("SELECT id, login, secret, settings FROM accounts WHERE provider = ? AND login = ?", [provider, login])
                    .map { Accounts.account(provider, $0) }
            }
        }
    }

    /// Every account of a provider, by id.
    public func list(provider: String) throws -> [Account] {
        try store.read { db in
            try db.query("SELECT id, login, secret, settings FROM accounts WHERE provider = ? ORDER BY id", [provider]).map { Accounts.account(provider, $0) }
        }
    }

    public func find(provider: String, id: Int) throws -> Account? {
        try cache.value(.id(provider, id)) {
            try store.read { db in try Accounts.find(db, provider: provider, id: id) }
        }
    }

    static func find(_ db: Database, provider: String, id: Int) throws -> Account? {
        try db.queryOne("SELECT id, login, secret, settings FROM accounts WHERE provider = ? AND id = ?", [provider, id])
            .map { account(provider, $0) }
    }

    /// The account's settle settings, nil when it has none of its own.
    public func settle(provider: String, account: Int) throws -> SettleSettings? {
        guard let settings = try find(provider: provider, id: account)?.settings["settle"], !settings.isNull else { return nil }
        return try? SettleSettings.parse(settings)
    }

    /// Inserts an account with the next id of its provider; returns the id.
    static func insert(_ db: Database, provider: String, seed: AccountSeed, now: String) throws -> Int {
        let next = try nextID(db, provider: provider)
        try db.run("INSERT INTO accounts (provider, id, login, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                   [provider, next, seed.login, seed.secret, now])
        return next
    }

    static func nextID(_ db: Database, provider: String) throws -> Int {
        try db.queryOne("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts WHERE provider = ?", [provider])?[0].int ?? 1
    }

    /// An account's settings, inside a transaction (`{}` when it has none).
    public static func settings(_ db: Database, provider: String, id: Int) throws -> JSON {
        try find(db, provider: provider, id: id)?.settings ?? [:]
    }

    static func saveSettings(_ db: Database, provider: String, id: Int, _ settings: JSON) throws {
        try db.run("UPDATE accounts SET settings = ? WHERE provider = ? AND id = ?", [settings.serialized(), provider, id])
    }

    private static func account(_ provider: String, _ row: Row) -> Account {
        Account(provider: provider, id: row["id"].int ?? 0, login: row["login"].string ?? "", secret: row["secret"].string ?? "",
                settings: (try? JSON.parse(row["settings"].string ?? "{}")) ?? [:])
    }
}

/// How the account cache finds an account: by its credentials' login or by its id.
enum AccountKey: Hashable, Sendable {
    case login(String, String)
    case id(String, Int)
}

extension JSON {
    /// Deep merge: objects merge key by key, anything else replaces; `null` removes a key.
    public func merging(_ patch: JSON) -> JSON {
        guard case .object(var members) = self, case .object(let changes) = patch else { return patch }
        for (key, value) in changes {
            if let i = members.firstIndex(where: { $0.0 == key }) {
                if value.isNull { members.remove(at: i) } else { members[i].1 = members[i].1.merging(value) }
            } else if !value.isNull {
                members.append((key, value))
            }
        }
        return .object(members)
    }
}
