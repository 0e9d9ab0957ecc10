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
            [
                "provider": .string(provider), "account": .int(id), "login": .string(login), "secret": .string(secret),
                "settings": settings,
            ]
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
                try db.queryOne(
                    "SELECT id, login, secret, settings FROM accounts WHERE provider = ? AND login = ?",
                    [provider, login]
                )
                    .map { Accounts.account(provider, $0) }
            }
        }
    }

    /// How many accounts there are, of every provider.
    public func count() throws -> Int {
        try store.read { db in try db.queryOne("SELECT COUNT(*) FROM accounts")?[0].int ?? 0 }
    }

    /// Every account of a provider, by id.
    public func list(provider: String) throws -> [Account] {
        try store.read { db in
            try db.query("SELECT id, login, secret, settings FROM accounts WHERE provider = ? ORDER BY id", [provider])
                .map { Accounts.account(provider, $0) }
        }
    }

    public func find(provider: String, id: Int) throws -> Account? {
        try cache.value(.id(provider, id)) {
            try store.read { db in try Accounts.find(db, provider: provider, id: id) }
        }
    }

    static func find(_ db: Database, provider: String, id: Int) throws -> Account? {
        try db.queryOne(
            "SELECT id, login, secret, settings FROM accounts WHERE provider = ? AND id = ?", [provider, id]
        )
            .map { account(provider, $0) }
    }

    /// The account's settle settings, nil when it has none of its own.
    public func settle(provider: String, account: Int) throws -> SettleSettings? {
        guard let settings = try find(provider: provider, id: account)?.settings["settle"], !settings.isNull else {
            return nil
        }
        return try? SettleSettings.parse(settings)
    }

    /// A new account of `provider` with the next id: the credentials asked for, or made up
    /// where none are given; its settings. A login the provider has already is a `FieldError`.
    public func create(_ provider: any Provider, _ request: AccountRequest) throws -> Account {
        let login = provider.credentialNames?.login ?? "login"
        let account = try store.write { db -> Account? in
            var id = try Accounts.nextID(db, provider: provider.key)
            if provider.loginIsAccountID, let given = request.login {
                guard let number = Int(given), number >= 1, number <= 1_000_000_000, String(number) == given else {
                    throw FieldError(
                        login, "must be a whole number from 1: \(provider.key)'s API names an account by it")
                }
                id = number
                if try Accounts.find(db, provider: provider.key, id: id) != nil {
                    throw FieldError(login, "'\(given)' is taken: \(provider.key) has an account with it already",
                                     conflict: true)
                }
            }
            let made = provider.makeAccount(id: id, ids: ids)
            let seed = AccountSeed(login: request.login ?? made.login, secret: request.secret ?? made.secret)
            if try db.queryOne("SELECT 1 FROM accounts WHERE provider = ? AND login = ?", [provider.key, seed.login])
                != nil
            {
                throw FieldError(
                    login, "'\(seed.login)' is taken: \(provider.key) has an account with it already", conflict: true)
            }
            try db.run("INSERT INTO accounts (provider, id, login, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                       [provider.key, id, seed.login, seed.secret, clock.nowISO8601()])
            if let settings = request.settings {
                try Accounts.saveSettings(db, provider: provider.key, id: id, JSON.object([]).merging(settings))
            }
            return try Accounts.find(db, provider: provider.key, id: id)
        }
        cache.invalidate()
        guard let account else { throw FieldError("account", "could not be created") }
        return account
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
    /// Merges `patch` into an account's settings in one transaction (two PATCHes at once both
    /// land); a `settle` that does not parse throws `OutcomeError` and changes nothing.
    public func mergeSettings(provider: String, id: Int, _ patch: JSON) throws {
        try store.write { db in
            let merged = try Self.settings(db, provider: provider, id: id).merging(patch)
            if let settle = merged["settle"] { _ = try SettleSettings.parse(settle) }
            try Self.saveSettings(db, provider: provider, id: id, merged)
        }
        cache.invalidate()
    }

    public static func settings(_ db: Database, provider: String, id: Int) throws -> JSON {
        try find(db, provider: provider, id: id)?.settings ?? [:]
    }

    static func saveSettings(_ db: Database, provider: String, id: Int, _ settings: JSON) throws {
        try db.run(
            "UPDATE accounts SET settings = ? WHERE provider = ? AND id = ?", [settings.serialized(), provider, id])
    }

    private static func account(_ provider: String, _ row: Row) -> Account {
        Account(
            provider: provider, id: row["id"].int ?? 0, login: row["login"].string ?? "",
            secret: row["secret"].string ?? "",
                settings: (try? JSON.parse(row["settings"].string ?? "{}")) ?? [:])
    }
}

/// What `POST /_sandbox/accounts` and a fixtures file's account entry take: the credentials
/// under the generic `login` / `secret` or the provider's own names (made up when absent),
/// and `settings` as `PATCH /_sandbox/accounts/…` takes them. The fields an answer adds
/// (`account`, `api_url`, `settle`) are let through, so that an answer can be sent back.
public struct AccountRequest: Sendable {
    public var login: String?
    public var secret: String?
    public var settings: JSON?

    public init(_ body: JSON, provider: any Provider) throws(FieldError) {
        guard let members = body.objectValue else { throw FieldError("", "must be a JSON object") }
        let names = provider.credentialNames
        let known = ["provider", "login", "secret", "settings", "account", "api_url", "inbox_url", "settle"]
            + [names?.login, names?.secret].compactMap { $0 }
        if let unknown = members.first(where: { !known.contains($0.0) }) {
            throw FieldError(unknown.0, "is not a field of an account (known: \(known.joined(separator: ", ")))")
        }
        login = try Self.credential(body, "login", names?.login)
        secret = try Self.credential(body, "secret", names?.secret)
        if names == nil, let secret, !secret.isEmpty {
            throw FieldError("secret", "\(provider.key) accounts have no secret: its API takes no credentials")
        }
        if let value = body["settings"], !value.isNull {
            guard value.objectValue != nil else { throw FieldError("settings", "must be a JSON object") }
            if let settle = value["settle"], !settle.isNull {
                do throws(OutcomeError) { _ = try SettleSettings.parse(settle) } catch {
                    throw FieldError("settings.settle", error.description)
                }
            }
            settings = value
        }
    }

    /// One credential, given under its generic name or the provider's own (the same if both).
    private static func credential(_ body: JSON, _ generic: String, _ own: String?) throws(FieldError) -> String? {
        var found: (name: String, value: String)?
        for name in [generic, own].compactMap({ $0 }) {
            guard let value = body[name], !value.isNull else { continue }
            guard let text = value.stringValue, !text.isEmpty, text.unicodeScalars.count <= 200,
                  !text.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 })
            else { throw FieldError(name, "must be a string of 1 to 200 characters, no control characters") }
            if let found, found.value != text {
                throw FieldError(name, "says '\(text)' but \(found.name) says '\(found.value)': give one")
            }
            found = (name, text)
        }
        return found?.value
    }
}

/// A bad field of a request or fixture: its name (`password`, `settings.settle`) and what is
/// wrong with it.
public struct FieldError: Error, CustomStringConvertible, Sendable {
    public let field: String
    public let message: String
    /// The field clashes with what exists (a login taken) rather than being malformed.
    public let conflict: Bool

    public init(_ field: String, _ message: String, conflict: Bool = false) {
        self.field = field
        self.message = message
        self.conflict = conflict
    }

    public var description: String { field.isEmpty ? message : "\(field) \(message)" }
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
