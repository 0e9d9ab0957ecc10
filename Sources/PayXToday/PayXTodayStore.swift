import HTTPServer
import SQLiteStore
import SandboxCore

/// All of PayXToday's SQL: clients and payments, each row carrying its reseller.
struct PayXTodayStore {
    let context: ProviderContext

    static let migrations: [Migration] = [
        Migration("payxtoday-001", """
            CREATE TABLE payxtoday_clients (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                reseller INTEGER NOT NULL,
                name TEXT NOT NULL,
                id_country INTEGER NOT NULL,
                city TEXT, postal_code TEXT, address TEXT, phone TEXT,
                e_mail TEXT NOT NULL,
                description TEXT,
                created_at INTEGER NOT NULL,
                deleted_at INTEGER
            );
            CREATE INDEX payxtoday_clients_email ON payxtoday_clients (reseller, e_mail);
            CREATE TABLE payxtoday_payments (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                uuid TEXT NOT NULL UNIQUE,
                reseller INTEGER NOT NULL,
                client INTEGER NOT NULL,
                payment_system INTEGER NOT NULL,
                price TEXT NOT NULL,
                period INTEGER NOT NULL,
                success INTEGER NOT NULL DEFAULT 0,
                error_message TEXT,
                paid_at INTEGER,
                created_at INTEGER NOT NULL,
                ip_address TEXT, ip_country TEXT,
                card_first_six TEXT, card_last_four TEXT, card_exp_date TEXT,
                card_type TEXT, card_category TEXT, card_product TEXT, issuer TEXT,
                description TEXT, url_success TEXT, url_error TEXT,
                state TEXT NOT NULL,
                deleted_at INTEGER
            );
            CREATE INDEX payxtoday_payments_client ON payxtoday_payments (reseller, client, id);
            """),
    ]

    static let clientFields = ["city", "postal_code", "address", "phone", "description"]

    // MARK: clients

    /// The reseller's client, unless deleted.
    static func client(_ db: Database, reseller: Int, id: Int) throws -> Client? {
        try db.queryOne(
            "SELECT * FROM payxtoday_clients WHERE id = ? AND reseller = ? AND deleted_at IS NULL", [id, reseller]
        )?.decode(Client.self)
    }

    func client(reseller: Int, id: Int) throws -> Client? {
        try context.store.read { db in try Self.client(db, reseller: reseller, id: id) }
    }

    func client(reseller: Int, email: String) throws -> Client? {
        try context.store.read { db in try Self.client(db, reseller: reseller, email: email) }
    }

    private static func client(_ db: Database, reseller: Int, email: String) throws -> Client? {
        try db.queryOne("""
            SELECT * FROM payxtoday_clients WHERE reseller = ? AND e_mail = ? COLLATE NOCASE AND deleted_at IS NULL
            ORDER BY id LIMIT 1
            """, [reseller, email])?.decode(Client.self)
    }

    /// A new client; its e-mail checked in the same transaction, so that of clients sent at once
    /// with one e-mail exactly one is made.
    func createClient(reseller: Int, name: String, country: Int, email: String, optional: [String: String?])
        async throws -> Client?
    {
        let now = context.clock.nowMilliseconds()
        return try await context.store.write { db in
            guard try Self.client(db, reseller: reseller, email: email) == nil else {
                throw PayXTodayError.invalid("The e_mail has already been taken.")
            }
            try db.run("""
                INSERT INTO payxtoday_clients (reseller, name, id_country, city, postal_code, address, phone,
                    e_mail, description, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [reseller, name, country, optional["city"] ?? nil, optional["postal_code"] ?? nil,
                      optional["address"] ?? nil, optional["phone"] ?? nil, email, optional["description"] ?? nil, now])
            return try Self.client(db, reseller: reseller, id: Int(db.lastInsertRowID))
        }
    }

    /// Updates only the columns given (a nil value clears an optional field).
    func updateClient(reseller: Int, id: Int, changes: [(String, SQLValue)]) async throws -> Client? {
        try await context.store.write { db in
            guard try Self.client(db, reseller: reseller, id: id) != nil else { return nil }
            for (column, value) in changes {
                try db.run("UPDATE payxtoday_clients SET \(column) = ? WHERE id = ?", [value, id])
            }
            return try Self.client(db, reseller: reseller, id: id)
        }
    }

    func deleteClient(reseller: Int, id: Int) async throws -> Bool {
        let now = context.clock.nowMilliseconds()
        return try await context.store.write { db in
            try db.run(
                "UPDATE payxtoday_clients SET deleted_at = ? WHERE id = ? AND reseller = ? AND deleted_at IS NULL",
                [now, id, reseller]) == 1
        }
    }

    // MARK: payments

    /// A payment (not deleted) by `clause`.
    static func payment(_ db: Database, where clause: String, _ arguments: [any SQLBindable]) throws -> Payment? {
        try db.queryOne("SELECT * FROM payxtoday_payments WHERE \(clause) AND deleted_at IS NULL", arguments)?.decode(
            Payment.self)
    }

    static func payment(_ db: Database, id: Int) throws -> Payment? { try payment(db, where: "id = ?", [id]) }

    /// The payment as the API shows it, its client embedded.
    static func json(_ db: Database, _ payment: Payment) throws -> JSON {
        payment.json(client: try db.queryOne("SELECT * FROM payxtoday_clients WHERE id = ?", [payment.client])
            .map { try $0.decode(Client.self).json(embedded: true) } ?? .null)
    }

    func payments(reseller: Int, client: Int) throws -> [JSON] {
        try context.store.read { db in
            try db.query(
                "SELECT * FROM payxtoday_payments WHERE reseller = ? AND client = ? AND deleted_at IS NULL ORDER BY id",
                [reseller, client]
            ).map { try Self.json(db, $0.decode(Payment.self)) }
        }
    }

    func paymentJSON(reseller: Int, id: Int? = nil, uuid: String? = nil) throws -> JSON? {
        try context.store.read { db in
            let payment = try id.map { try Self.payment(db, where: "id = ? AND reseller = ?", [$0, reseller]) }
                ?? uuid.map { try Self.payment(db, where: "uuid = ? AND reseller = ?", [$0, reseller]) } ?? nil
            return try payment.map { try Self.json(db, $0) }
        }
    }

    struct NewPayment {
        let client, paymentSystem, period: Int
        let price: String
        let description, urlSuccess, urlError: String?
    }

    /// Stores a pending payment; answers it as the API shows it, with `client` (the client
    /// as it embeds) and what was inserted: nothing is read back inside the write batch,
    /// which every create waits on.
    func createPayment(reseller: Int, _ p: NewPayment, plan: SettlePlan, client: JSON) async throws -> JSON {
        let now = context.clock.nowMilliseconds()
        let uuid = context.ids.orderedHex(20, milliseconds: now)
        let id = try await context.store.write { db -> Int in
            try db.run("""
                INSERT INTO payxtoday_payments (uuid, reseller, client, payment_system, price, period, created_at,
                    description, url_success, url_error, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
                """, [uuid, reseller, p.client, p.paymentSystem, p.price, p.period, now, p.description, p.urlSuccess,
                      p.urlError])
            let id = Int(db.lastInsertRowID)
            try context.record(db, id: String(id), account: reseller, status: Payment.State.pending.rawValue,
                               amount: p.price, currency: PayXTodayProvider.currency, at: now, plan: plan)
            return id
        }
        return Payment(id: id, reseller: reseller, client: p.client, paymentSystem: p.paymentSystem, period: p.period,
                       uuid: uuid, price: p.price, state: .pending, description: p.description,
                       urlSuccess: p.urlSuccess, urlError: p.urlError, createdAt: now).json(client: client)
    }

    /// Deletes an unpaid payment; false when there is none. A paid one is refused.
    func deletePayment(reseller: Int, id: Int) async throws -> Bool? {
        let now = context.clock.nowMilliseconds()
        return try await context.store.write { db -> Bool? in
            guard let payment = try Self.payment(db, where: "id = ? AND reseller = ?", [id, reseller]) else {
                return false
            }
            guard payment.state != .paid else { return nil }
            try db.run("UPDATE payxtoday_payments SET deleted_at = ? WHERE id = ?", [now, id])
            try context.cancelJobs(db, payment: String(id))
            try context.setStatus(db, id: String(id), status: "deleted", at: now)
            return true
        }
    }

    struct CardUse {
        let number, expiry: String
        let ip, country: String?
    }

    /// Pays or fails a pending payment: card details recorded, the reseller's webhook queued.
    static func complete(_ db: Database, id: Int, outcome: Outcome, card: CardUse?, context: ProviderContext) throws {
        try context.complete(db, payment: String(id), try payment(db, id: id), status: \.state.rawValue) { payment in
            let now = context.clock.nowMilliseconds()
            let number = card?.number ?? "4111111111111111"
            let details = PayXTodayData.card(bin: String(number.prefix(6)))
            let success = outcome.kind == .success
            let state: Payment.State = success ? .paid : .failed
            let message = success ? "" : (outcome.message ?? "5051 (Insufficient funds)")
            let clientCountry = try db.queryOne("SELECT id_country FROM payxtoday_clients WHERE id = ?",
                                                [payment.client])?[0].int
                .flatMap { PayXTodayData.countriesByID[$0]?["iso_3166_1"]?.stringValue }
            try db.run("""
                UPDATE payxtoday_payments SET state = ?, success = ?, error_message = ?, paid_at = ?, ip_address = ?,
                    ip_country = ?, card_first_six = ?, card_last_four = ?, card_exp_date = ?, card_type = ?,
                    card_category = ?, card_product = ?, issuer = ?
                WHERE id = ?
                """, [state.rawValue, success ? 1 : 0, message, success ? now : nil, card?.ip ?? "127.0.0.1",
                      card?.country ?? clientCountry, String(number.prefix(6)), String(number.suffix(4)),
                      card?.expiry ?? "12/30", details.type, details.category, details.product, details.issuer, id])
            let body: [(String, JSON)] = [
                ("reseller", .int(payment.reseller)), ("id_client", .int(payment.client)),
                ("id_payment", .int(payment.id)), ("uuid_payment", .string(payment.uuid)),
                ("id_payment_system", .int(payment.paymentSystem)), ("period", .int(payment.period)),
                ("price", webhookNumber(payment.price)), ("success", .int(success ? 1 : 0)),
                success ? ("paid_at", .string(Timestamp.dateTime(milliseconds: now)))
                    : ("error_message", .string(message)),
                ("created_at", .string(Timestamp.dateTime(milliseconds: payment.createdAt))),
                ("description", .optional(payment.description)),
            ]
            let webhook = try webhook(db, reseller: payment.reseller, success: success, body: .object(body),
                                      context: context)
            return Completion(status: state.rawValue, note: success ? nil : message, callback: webhook)
        }
    }

    /// A price as a JSON number, as the webhook shows it (`100`, `290.5`).
    static func webhookNumber(_ price: String) -> JSON {
        guard price.contains(".") else { return .number(price) }
        return .number(String(price.reversed().drop { $0 == "0" }.drop { $0 == "." }.reversed()))
    }

    /// The webhook to the reseller's success or error URL; nil when it has none.
    static func webhook(_ db: Database, reseller: Int, success: Bool, body: JSON, context: ProviderContext) throws
        -> Callback?
    {
        let settings = try context.settings(db, account: reseller)
        guard let url = settings["webhook"]?["payments"]?[success ? "success" : "error"]?.stringValue,
              isAbsoluteHTTPURL(url)
        else { return nil }
        return Callback(account: reseller, kind: "webhook", url: url, json: body)
    }

    func payment(uuid: String) throws -> Payment? {
        try context.store.read { db in try Self.payment(db, where: "uuid = ?", [uuid]) }
    }

    /// The pay page's card: the payment completed with it; the reseller's settings.
    func complete(_ payment: Payment, outcome: Outcome, card: CardUse) async throws -> JSON {
        try await context.store.write { db in
            try Self.complete(db, id: payment.id, outcome: outcome, card: card, context: context)
            return try context.settings(db, account: payment.reseller)
        }
    }

    /// Queues a test webhook (`/webhook/test/…`); false when the reseller has no URL for it.
    func enqueueTestWebhook(reseller: Int, key: String, success: Bool, body: JSON) async throws -> Bool {
        try await context.store.write { db in
            guard let webhook = try Self.webhook(db, reseller: reseller, success: success, body: body, context: context)
            else { return false }
            try context.enqueue(db, webhook, payment: key)
            return true
        }
    }
}
