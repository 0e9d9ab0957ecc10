import Foundation
import HTTPServer
import SQLiteStore
import SandboxCore

/// All of Paytomat's SQL: transactions (with their life cycle and postbacks), products,
/// broadcasts. Every row carries its merchant.
struct PaytomatStore {
    let context: ProviderContext

    static let migrations: [Migration] = [
        Migration("paytomat-001", """
            CREATE TABLE paytomat_transactions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                merchant INTEGER NOT NULL,
                code TEXT NOT NULL UNIQUE,
                order_id TEXT NOT NULL,
                ref TEXT,
                status TEXT NOT NULL,
                comment TEXT NOT NULL,
                created INTEGER NOT NULL,
                updated INTEGER NOT NULL,
                address TEXT NOT NULL,
                currency_in TEXT NOT NULL,
                currency_out TEXT NOT NULL,
                amount_in TEXT NOT NULL,
                amount_out TEXT NOT NULL,
                rate TEXT NOT NULL,
                qr_code TEXT NOT NULL,
                product_id INTEGER,
                callback_url TEXT,
                details TEXT
            );
            CREATE INDEX paytomat_tx_id ON paytomat_transactions (merchant, id);
            CREATE INDEX paytomat_tx_status ON paytomat_transactions (merchant, status, id);
            CREATE INDEX paytomat_tx_updated ON paytomat_transactions (merchant, updated, id);
            CREATE INDEX paytomat_tx_created ON paytomat_transactions (merchant, created, id);
            CREATE INDEX paytomat_tx_order ON paytomat_transactions (merchant, order_id, id);
            CREATE INDEX paytomat_tx_ref ON paytomat_transactions (merchant, ref, id);
            CREATE INDEX paytomat_tx_product ON paytomat_transactions (product_id, status);
            CREATE TABLE paytomat_products (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                merchant INTEGER NOT NULL,
                amount TEXT NOT NULL,
                currency TEXT NOT NULL,
                title TEXT NOT NULL,
                unit TEXT NOT NULL,
                callback_url TEXT NOT NULL DEFAULT '',
                skip_email INTEGER NOT NULL DEFAULT 0,
                custom_css TEXT NOT NULL DEFAULT '',
                fields TEXT NOT NULL DEFAULT '[]',
                created INTEGER NOT NULL
            );
            CREATE INDEX paytomat_products_merchant ON paytomat_products (merchant, id);
            CREATE TABLE paytomat_broadcasts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                merchant INTEGER NOT NULL,
                currency TEXT NOT NULL,
                txid TEXT NOT NULL,
                receiver TEXT NOT NULL,
                amount TEXT NOT NULL,
                created INTEGER NOT NULL
            );
            """),
    ]

    static let note = "Please turn off transaction encryption if you encounter public key error"

    // MARK: transactions

    struct NewTransaction {
        let orderID, ref: String
        let currencyIn, currencyOut: PaytomatCurrency
        let amountIn: Decimal
        let callbackURL: String?
        let productID: Int?
        let details: JSON?
    }

    /// What a create stored and its caller shows (known before the write but the id, so
    /// nothing is read back inside the batch).
    struct Created {
        let id: Int
        let code, address, amountOut, rate, qrCode: String
    }

    /// Creates a `new` transaction with its address, rate and amount, its timeout job and
    /// its settle plan.
    func create(merchant: Int, _ t: NewTransaction, plan: SettlePlan?, timing: PaytomatTiming) async throws -> Created {
        let now = context.clock.nowMilliseconds()
        let rateValue = t.currencyIn.rate(to: t.currencyOut)
        let rate = PaytomatCurrency.format(rateValue, places: 8)
        let amountOut = PaytomatCurrency.format(t.amountIn * rateValue, places: t.currencyOut.decimals)
        let address = PaytomatAddress.make(coin: t.currencyOut.code, ids: context.ids)
        let qr = PaytomatAddress.qrCode(coin: t.currencyOut.code, address: address, amount: amountOut)
        // The payer page's key: 80 random bits as before, led by the time so that the UNIQUE
        // index grows at one end (a random key writes a page of its own per create).
        let code = context.ids.orderedHex(16, milliseconds: now)
        let timeoutAt = now + Int64(timing.timeoutSeconds) * 1000
        let id = try await context.store.write { db -> Int in
            try db.run("""
                INSERT INTO paytomat_transactions (merchant, code, order_id, ref, status, comment, created, updated,
                    address, currency_in, currency_out, amount_in, amount_out, rate, qr_code, product_id, callback_url,
                    details)
                VALUES (?, ?, ?, ?, 'new', 'Waiting for payment', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [merchant, code, t.orderID, t.ref, now, now, address, t.currencyIn.code, t.currencyOut.code,
                      PaytomatCurrency.format(t.amountIn, places: 8), amountOut, rate, qr, t.productID, t.callbackURL,
                      t.details?.serialized()])
            let id = Int(db.lastInsertRowID)
            try context.record(db, id: String(id), account: merchant, status: Status.new.rawValue,
                               amount: amountOut, currency: t.currencyOut.code, at: now, note: "Waiting for payment",
                               plan: plan)
            try context.schedule(db, kind: .timeout, payment: String(id), at: timeoutAt)
            return id
        }
        return Created(id: id, code: code, address: address, amountOut: amountOut, rate: rate, qrCode: qr)
    }

    static func transaction(_ db: Database, id: Int) throws -> Transaction? {
        try db.queryOne("SELECT * FROM paytomat_transactions WHERE id = ?", [id])?.decode(Transaction.self)
    }

    func transaction(merchant: Int, id: Int) throws -> Transaction? {
        try context.store.read { db in
            try db.queryOne("SELECT * FROM paytomat_transactions WHERE id = ? AND merchant = ?", [id, merchant])?
                .decode(Transaction.self)
        }
    }

    func transaction(code: String) throws -> Transaction? {
        try context.store.read { db in
            try db.queryOne("SELECT * FROM paytomat_transactions WHERE code = ?", [code])?.decode(Transaction.self)
        }
    }

    static let orderColumns: [String: String] = [
        "id": "id", "status": "status", "updated": "updated", "created": "created", "order_id": "order_id",
        "ref": "ref",
    ]

    func list(merchant: Int, status: String?, orderBy: String, descending: Bool, limit: Int, offset: Int) throws
        -> [JSON]
    {
        guard let column = Self.orderColumns[orderBy] else { return [] }
        let direction = descending ? "DESC" : "ASC"
        var conditions = Conditions()
        conditions.add("merchant = ?", merchant)
        conditions.add("status = ?", status)
        return try context.store.read { db in
            try db.query(
                "SELECT * FROM paytomat_transactions \(conditions.sql) ORDER BY \(column) \(direction), id "
                + "\(direction) LIMIT ? OFFSET ?", conditions.arguments + [limit, offset]
            ).map { try $0.decode(Transaction.self).json }
        }
    }

    /// Moves a transaction to `status` with `comment`; a final status queues the postback.
    static func transition(_ db: Database, id: Int, to status: Status, comment: String,
                           context: ProviderContext) throws {
        try update(db, id: id, to: status, comment: comment, context: context)
        try context.setStatus(db, id: String(id), status: status.rawValue, at: context.clock.nowMilliseconds(),
                              note: comment)
        if status.isFinal, let postback = try postback(db, id: id) {
            try context.enqueue(db, postback, payment: String(id))
        }
    }

    private static func update(_ db: Database, id: Int, to status: Status, comment: String,
                               context: ProviderContext) throws {
        try db.run("UPDATE paytomat_transactions SET status = ?, comment = ?, updated = ? WHERE id = ?",
                   [status.rawValue, comment, context.clock.nowMilliseconds(), id])
    }

    /// The control plane: success or failure now, from any state before a final one.
    static func complete(_ db: Database, id: Int, outcome: Outcome, context: ProviderContext) throws {
        try context.complete(db, payment: String(id), try transaction(db, id: id), status: \.status.rawValue,
                             open: ["new", "pending", "confirmation"]) { _ in
            let success = outcome.kind == .success
            let comment = outcome.message ?? (success ? "Payment received" : "Payment failed")
            let status: Status = success ? .success : .failure
            try update(db, id: id, to: status, comment: comment, context: context)
            return Completion(status: status.rawValue, note: comment, callback: try postback(db, id: id))
        }
    }

    /// The documented postback structure, to the transaction's (or its product's) callback URL.
    private static func postback(_ db: Database, id: Int) throws -> Callback? {
        guard let transaction = try transaction(db, id: id) else { return nil }
        let product = try transaction.productID.flatMap {
            try db.queryOne("SELECT * FROM paytomat_products WHERE id = ?", [$0])?.decode(Product.self)
        }
        guard let url = transaction.callbackURL ?? product?.callbackURL, isAbsoluteHTTPURL(url) else { return nil }
        let body: JSON = [
            "merchant_id": .int(transaction.merchant), "product_id": transaction.productID.map { .int($0) } ?? .null,
            "tx_code": .string(transaction.code), "tx_id": .int(id), "amount": .number(transaction.amountOut),
            "currency": .string(transaction.currencyOut), "qr_code": .string(transaction.qrCode),
            "details": transaction.details.flatMap { try? JSON.parse($0) } ?? .null,
            "tx_status": .string(transaction.status.rawValue),
            "custom_css": product.map { .string($0.customCSS) } ?? .null
        ]
        return Callback(account: transaction.merchant, kind: "postback", url: url, json: body)
    }

    /// Successful amounts per received currency, charged-back ones not counted.
    func balance(merchant: Int) throws -> [String: Decimal] {
        try context.store.read { db in
            var totals: [String: Decimal] = [:]
            for row in try db.query(
                "SELECT currency_out, amount_out FROM paytomat_transactions WHERE merchant = ? AND status = 'success'",
                [merchant]) {
                totals[row[0].string ?? "", default: 0] += Decimal(string: row[1].string ?? "0") ?? 0
            }
            return totals
        }
    }

    /// The widget's simulation of the payer's coins (`received`, `underpaid`, `expired`) on a new
    /// transaction; false when it has moved on already.
    func simulate(_ action: String, id: Int, merchant: Int) async throws -> Bool {
        try await context.store.write { db -> Bool in
            guard try Self.transaction(db, id: id)?.status == .new else { return false }
            switch action {
            case "received":
                let timing = PaytomatTiming(settings: try context.settings(db, account: merchant))
                try PaytomatLifecycle.receive(db, id: id, timing: timing, context: context)
            case "underpaid":
                try context.cancelJobs(db, payment: String(id))
                try Self.transition(db, id: id, to: .failure, comment: "Payment underpaid", context: context)
            default:
                try context.cancelJobs(db, payment: String(id))
                try Self.transition(db, id: id, to: .timeout, comment: "Payment not received in time", context: context)
            }
            return true
        }
    }

    /// The merchant cancels a new or pending transaction; nil, or the status it has instead.
    func cancel(id: Int) async throws -> Status? {
        try await context.store.write { db -> Status? in
            guard let current = try Self.transaction(db, id: id)?.status else { return nil }
            guard current == .new || current == .pending else { return current }
            try context.cancelJobs(db, payment: String(id))
            try Self.transition(db, id: id, to: .cancelled, comment: "Cancelled by the merchant", context: context)
            return nil
        }
    }

    /// The merchant asks for a successful transaction's chargeback, carried out after
    /// `seconds`; nil, or the status it has instead.
    func requestChargeback(id: Int, seconds: Int) async throws -> Status? {
        try await context.store.write { db -> Status? in
            guard let current = try Self.transaction(db, id: id)?.status else { return nil }
            guard current == .success else { return current }
            try Self.transition(db, id: id, to: .cancellation, comment: "Requested chargeback", context: context)
            try context.schedule(db, kind: .chargeback, payment: String(id),
                                 at: context.clock.nowMilliseconds() + Int64(seconds) * 1000)
            return nil
        }
    }
}

/// How long the life cycle's steps take on the sandbox clock (account settings
/// `{"timing":{"timeout_seconds":900,"confirmation_seconds":60}}`).
struct PaytomatTiming: Sendable {
    var timeoutSeconds = 900
    var confirmationSeconds = 60

    init(settings: JSON) {
        if let t = settings["timing"]?["timeout_seconds"]?.intValue, t > 0 { timeoutSeconds = t }
        if let c = settings["timing"]?["confirmation_seconds"]?.intValue, c >= 0 { confirmationSeconds = c }
    }
}
