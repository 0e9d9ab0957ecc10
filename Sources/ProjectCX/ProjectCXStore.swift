import SQLiteStore
import SandboxCore

/// All of Project CX's SQL.
struct ProjectCXStore {
    let context: SandboxContext

    static let migrations: [Migration] = [
        Migration("projectcx-001", """
            CREATE TABLE projectcx_tokens (
                token TEXT PRIMARY KEY NOT NULL,
                refresh_token TEXT NOT NULL UNIQUE,
                account INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE TABLE projectcx_orders (
                id TEXT PRIMARY KEY NOT NULL,
                account INTEGER NOT NULL,
                amount INTEGER NOT NULL,
                description TEXT,
                info TEXT,
                callback TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX projectcx_orders_account ON projectcx_orders (account, created_at);
            """),
    ]

    struct Token: Sendable {
        let token: String
        let refreshToken: String
        let expiresIn: Int
    }

    struct NewOrder: Sendable {
        let amount: Int
        let description: String?
        let info: String?
        let callback: String
    }

    func issueToken(account: Int, lifetimeSeconds: Int) throws -> Token {
        let token = Token(token: context.ids.token(), refreshToken: context.ids.token(), expiresIn: lifetimeSeconds)
        let now = context.clock.nowMilliseconds()
        try context.store.write { db in
            try db.run("DELETE FROM projectcx_tokens WHERE expires_at <= ?", [now])
            try db.run("INSERT INTO projectcx_tokens (token, refresh_token, account, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                       [token.token, token.refreshToken, account, now + Int64(lifetimeSeconds) * 1000,
                        Timestamp.iso8601(milliseconds: now)])
        }
        return token
    }

    /// The account a live token belongs to, or nil when unknown or expired.
    func account(forToken token: String) throws -> Int? {
        let now = context.clock.nowMilliseconds()
        return try context.store.read { db in
            try db.queryOne("SELECT account FROM projectcx_tokens WHERE token = ? AND expires_at > ?", [token, now])?[0].int
        }
    }

    func createOrder(account: Int, _ order: NewOrder) throws -> String {
        let id = Self.uuid(context.ids.hex(16))
        let now = context.clock.nowISO8601()
        try context.store.write { db in
            try db.run("""
                INSERT INTO projectcx_orders (id, account, amount, description, info, callback, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """, [id, account, order.amount, order.description, order.info, order.callback, now, now])
        }
        return id
    }

    /// 32 hex digits as a UUID-shaped id (8-4-4-4-12).
    static func uuid(_ hex: String) -> String {
        let h = Array(hex)
        return [0 ..< 8, 8 ..< 12, 12 ..< 16, 16 ..< 20, 20 ..< 32].map { String(h[$0]) }.joined(separator: "-")
    }
}
