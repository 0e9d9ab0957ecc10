import HTTPServer
import SQLiteStore
import SandboxCore

/// All of Project CX's SQL.
struct ProjectCXStore {
    let context: ProviderContext

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
        Migration("projectcx-002-results", """
            ALTER TABLE projectcx_orders ADD COLUMN bank_transaction_id TEXT;
            ALTER TABLE projectcx_orders ADD COLUMN message TEXT;
            """),
        // Tokens are the core's (`ProviderContext.issueToken`).
        Migration("projectcx-003-tokens-in-core", "DROP TABLE projectcx_tokens;"),
    ]

    struct NewOrder: Sendable {
        let amount: Int
        let description, info: String?
        let callback: String
    }

    struct Order: Sendable, Decodable {
        let id, callback: String
        let account, amount: Int
        let description, info, message: String?
        let status: Status

        /// In the callback's words.
        enum Status: String, Sendable, Decodable { case pending, success = "Success", failure = "Failure" }
    }

    /// Stores a pending order, its uniform record and its settle job, in one transaction.
    func createOrder(account: Int, _ order: NewOrder, plan: SettlePlan) async throws -> String {
        let now = context.clock.nowMilliseconds()
        let id = context.ids.uuid(milliseconds: now)
        let stamp = Timestamp.iso8601(milliseconds: now)
        try await context.store.write { db in
            try db.run("""
                INSERT INTO projectcx_orders (id, account, amount, description, info, callback, status,
                    created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """, [id, account, order.amount, order.description, order.info, order.callback, stamp, stamp])
            try context.record(db, id: id, account: account, status: Order.Status.pending.rawValue,
                amount: Payments.decimal(minorUnits: order.amount), currency: ProjectCXProvider.currency, at: now,
                plan: plan)
        }
        return id
    }

    func order(_ id: String) throws -> Order? {
        try context.store.read { db in try Self.order(db, id) }
    }

    static func order(_ db: Database, _ id: String) throws -> Order? {
        try db.queryOne("SELECT * FROM projectcx_orders WHERE id = ?", [id])?.decode(Order.self)
    }

    /// Completes a pending order: its result, and the Payment Result callback.
    static func complete(_ db: Database, id: String, outcome: Outcome, context: ProviderContext) throws {
        try context.complete(db, payment: id, try order(db, id), status: \.status.rawValue) { order in
            let now = Timestamp.iso8601(milliseconds: context.clock.nowMilliseconds())
            let status: Order.Status = outcome.kind == .success ? .success : .failure
            let message = outcome.message ?? (status == .success ? "Transaction successful" : "Transaction declined")
            let bankTransactionId = String(context.ids.int(in: 100_000 ... 999_999_999))
            try db.run("""
                UPDATE projectcx_orders SET status = ?, message = ?, bank_transaction_id = ?, updated_at = ?
                WHERE id = ?
                """, [status.rawValue, message, bankTransactionId, now, id])
            let result: JSON = [
                "dateSent": .string(now), "status": .string(status.rawValue),
                "bankTransactionId": .string(bankTransactionId), "message": .string(message),
            ]
            return Completion(status: status.rawValue.lowercased(), note: message,
                              callback: Callback(account: order.account, kind: "callback", url: order.callback,
                                                 json: result))
        }
    }

    /// Completes an order now (the payer's page), in a transaction of its own.
    func complete(id: String, outcome: Outcome) async throws {
        try await context.store.write { db in try Self.complete(db, id: id, outcome: outcome, context: context) }
    }
}
