import HTTPServer
import SQLiteStore
import SandboxCore

/// All of Census's SQL: persons with their qualified ids, payment methods, orders.
struct CensusStore {
    let context: ProviderContext

    static let migrations: [Migration] = [
        Migration("census-001", """
            CREATE TABLE census_persons (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE census_external_ids (
                person INTEGER NOT NULL,
                system TEXT NOT NULL,
                external_id TEXT NOT NULL,
                PRIMARY KEY (system, external_id)
            );
            CREATE TABLE census_payment_methods (
                id INTEGER PRIMARY KEY,
                person INTEGER NOT NULL,
                type TEXT NOT NULL,
                status TEXT NOT NULL,
                verified INTEGER NOT NULL DEFAULT 0,
                iban TEXT,
                expiration_month INTEGER,
                expiration_year INTEGER,
                authorization_token TEXT,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX census_payment_methods_person ON census_payment_methods (person, id);
            CREATE TABLE census_orders (
                id INTEGER PRIMARY KEY,
                person INTEGER NOT NULL,
                payment_method INTEGER NOT NULL,
                description TEXT NOT NULL,
                amount INTEGER NOT NULL,
                campaign_code TEXT NOT NULL,
                status TEXT NOT NULL,
                return_url TEXT,
                gateway_token TEXT,
                created_at INTEGER NOT NULL,
                processed_at INTEGER
            );
            CREATE INDEX census_orders_campaign ON census_orders (campaign_code, status, created_at);
            CREATE INDEX census_orders_person ON census_orders (person, status, created_at);
            CREATE UNIQUE INDEX census_orders_token ON census_orders (gateway_token);
            """),
    ]

    static let directDebit = "PaymentMethods::DirectDebit"
    static let creditCard = "PaymentMethods::CreditCard"

    struct PaymentMethod: Sendable, Decodable {
        let id, person: Int
        let type: String
        let status: Status
        let verified: Bool
        let iban, authorizationToken: String?
        let expirationMonth, expirationYear: Int?

        /// "04/2029" for an authorized card.
        var expiration: String? {
            guard let month = expirationMonth, let year = expirationYear, authorizationToken != nil else { return nil }
            return (month < 10 ? "0" : "") + "\(month)/\(year)"
        }

        /// Census's `name`: the type and its distinguishing detail (`name_info`).
        var name: String {
            if type == CensusStore.directDebit { return "Direct debit ending in \(String((iban ?? "").suffix(4)))" }
            return "Credit card (\(expiration.map { "expires \($0)" } ?? "incomplete"))"
        }

        var json: JSON {
            [
                "id": .int(id), "name": .string(name), "type": .string(type), "status": .string(status.rawValue),
                "verified?": .bool(verified),
            ]
        }

        /// Census refuses orders on a payment method that cannot be charged.
        var usable: Bool { status == .active && (type == CensusStore.directDebit || expiration != nil) }

        enum Status: String, Sendable, Decodable { case active, inactive, incomplete }
    }

    struct Order: Sendable, Decodable {
        let id, person, paymentMethod, amount: Int
        let description: String
        let status: Status
        let returnURL, gatewayToken: String?

        enum Status: String, Sendable, Decodable { case pending, processed, error }
    }

    // MARK: persons

    /// `<id>@census` is the person's own id; `<id>@<system>` an id in another system.
    /// A malformed id finds no one.
    static func person(_ db: Database, qualifiedID: String) throws -> Int? {
        let parts = qualifiedID.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        if parts[1] == "census" {
            guard let id = Int(parts[0]) else { return nil }
            return try db.queryOne("SELECT id FROM census_persons WHERE id = ?", [id])?[0].int
        }
        return try db.queryOne("SELECT person FROM census_external_ids WHERE system = ? AND external_id = ?",
                               [String(parts[1]), String(parts[0])])?[0].int
    }

    func person(qualifiedID: String) throws -> Int? {
        try context.store.read { db in try Self.person(db, qualifiedID: qualifiedID) }
    }

    static func createPerson(_ db: Database, name: String, externalIDs: [(String, String)], now: Int64) throws -> Int {
        try db.run("INSERT INTO census_persons (name, created_at) VALUES (?, ?)", [name, now])
        let id = Int(db.lastInsertRowID)
        for (system, externalID) in externalIDs {
            try db.run("INSERT INTO census_external_ids (person, system, external_id) VALUES (?, ?, ?)",
                       [id, system, externalID])
        }
        return id
    }

    static func personJSON(_ db: Database, id: Int) throws -> JSON {
        let external = try db.query(
            "SELECT system, external_id FROM census_external_ids WHERE person = ? ORDER BY system", [id])
        let methods = try paymentMethods(db, person: id).map(\.json)
        return [
            "id": .int(id),
            "qualified_ids": .array(
                [.string("\(id)@census")] + external.map { .string("\($0[1].string ?? "")@\($0[0].string ?? "")") }),
            "name": .string(try db.queryOne("SELECT name FROM census_persons WHERE id = ?", [id])?[0].string ?? ""),
            "payment_methods": .array(methods),
        ]
    }

    // MARK: payment methods

    static func paymentMethods(_ db: Database, person: Int) throws -> [PaymentMethod] {
        try db.query("SELECT * FROM census_payment_methods WHERE person = ? ORDER BY id", [person])
            .map { try $0.decode(PaymentMethod.self) }
    }

    static func paymentMethod(_ db: Database, id: Int) throws -> PaymentMethod? {
        try db.queryOne("SELECT * FROM census_payment_methods WHERE id = ?", [id])?.decode(PaymentMethod.self)
    }

    func paymentMethods(person: Int) throws -> [PaymentMethod] {
        try context.store.read { db in try Self.paymentMethods(db, person: person) }
    }

    func paymentMethod(id: Int) throws -> PaymentMethod? {
        try context.store.read { db in try Self.paymentMethod(db, id: id) }
    }

    @discardableResult
    static func addPaymentMethod(_ db: Database, person: Int, type: String, status: PaymentMethod.Status,
                                 verified: Bool, iban: String? = nil, expiration: (month: Int, year: Int)? = nil,
                                 now: Int64) throws -> Int {
        try db.run("""
            INSERT INTO census_payment_methods (person, type, status, verified, iban, expiration_month,
                expiration_year, authorization_token, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [person, type, status.rawValue, verified, iban, expiration?.month, expiration?.year,
                  expiration.map { _ in "seeded-authorization" }, now])
        return Int(db.lastInsertRowID)
    }

    // MARK: orders

    struct NewOrder {
        let person, amount: Int
        let description, campaignCode: String
    }

    enum Method { case existing(Int), directDebit(iban: String), creditCardExternal(returnURL: String) }

    /// Creates the order (and its new payment method), its uniform record and its settle
    /// job, in one transaction. Returns the order and its payment method's id.
    func createOrder(_ order: NewOrder, method: Method, plan: SettlePlan) async throws
        -> (order: Int, paymentMethod: Int, token: String?)
    {
        let now = context.clock.nowMilliseconds()
        return try await context.store.write { db -> (Int, Int, String?) in
            let methodID: Int
            var returnURL: String?, token: String?
            switch method {
            case .existing(let id): methodID = id
            case .directDebit(let iban):
                methodID = try Self.addPaymentMethod(db, person: order.person, type: Self.directDebit, status: .active,
                                                     verified: false, iban: iban, now: now)
            case .creditCardExternal(let url):
                methodID = try Self.addPaymentMethod(db, person: order.person, type: Self.creditCard,
                                                     status: .incomplete, verified: false, now: now)
                (returnURL, token) = (url, context.ids.token(18))
            }
            try db.run("""
                INSERT INTO census_orders (person, payment_method, description, amount, campaign_code, status,
                    return_url, gateway_token, created_at)
                VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)
                """,
                [order.person, methodID, order.description, order.amount, order.campaignCode, returnURL, token, now])
            let id = Int(db.lastInsertRowID)
            // An externally authorized card waits for its form; the others settle on the plan.
            try context.record(db, id: String(id), account: 1, status: Order.Status.pending.rawValue,
                               amount: Payments.decimal(minorUnits: order.amount), currency: "EUR", at: now,
                               plan: token == nil ? plan : nil)
            return (id, methodID, token)
        }
    }

    static func order(_ db: Database, id: Int) throws -> Order? {
        try db.queryOne("SELECT * FROM census_orders WHERE id = ?", [id])?.decode(Order.self)
    }

    static func order(_ db: Database, token: String) throws -> Order? {
        try db.queryOne("SELECT * FROM census_orders WHERE gateway_token = ?", [token])?.decode(Order.self)
    }

    /// Processes a pending order: `processed` (the payment method becomes verified, and a
    /// card authorized on the gateway becomes active) or `error`.
    static func complete(_ db: Database, id: Int, outcome: Outcome, card: (month: Int, year: Int)? = nil,
                         context: ProviderContext) throws {
        try context.complete(db, payment: String(id), try order(db, id: id), status: \.status.rawValue) { order in
            let now = context.clock.nowMilliseconds()
            let status: Order.Status = outcome.kind == .success ? .processed : .error
            try db.run("UPDATE census_orders SET status = ?, processed_at = ? WHERE id = ?", [status.rawValue, now, id])
            guard status == .processed else { return Completion(status: status.rawValue, note: outcome.message) }
            if let method = try paymentMethod(db, id: order.paymentMethod), method.type == creditCard,
               method.expiration == nil {
                // A card authorized now: the gateway's expiry, or (control plane) three years on.
                let expiry =
                    card ?? (month: 12, year: (Int(Timestamp.iso8601(milliseconds: now).prefix(4)) ?? 2026) + 3)
                try db.run("""
                    UPDATE census_payment_methods SET status = 'active', verified = 1, expiration_month = ?,
                        expiration_year = ?, authorization_token = ? WHERE id = ?
                    """, [expiry.month, expiry.year, context.ids.hex(12), order.paymentMethod])
            } else {
                try db.run("UPDATE census_payment_methods SET verified = 1 WHERE id = ?", [order.paymentMethod])
            }
            return Completion(status: status.rawValue, note: outcome.message)
        }
    }

    /// The sum of processed orders' amounts for a campaign and/or a person, created within
    /// the dates given.
    func total(campaign: String?, person: Int?, from: Int64?, until: Int64?) throws -> Int {
        var conditions = Conditions()
        conditions.add("campaign_code = ?", campaign)
        conditions.add("person = ?", person)
        conditions.add("created_at >= ?", from)
        conditions.add("created_at <= ?", until)
        conditions.add("status = ?", "processed")
        let sql = "SELECT COALESCE(SUM(amount), 0) FROM census_orders \(conditions.sql)"
        return try context.store.read { db in try db.queryOne(sql, conditions.arguments)?[0].int ?? 0 }
    }

    /// The order a gateway form's token names.
    func order(token: String) throws -> Order? {
        try context.store.read { db in try Self.order(db, token: token) }
    }

    /// The card gateway's answer for an order, in a transaction of its own.
    func complete(order: Int, outcome: Outcome, card: (month: Int, year: Int)?) async throws {
        try await context.store.write { db in
            try Self.complete(db, id: order, outcome: outcome, card: card, context: context)
        }
    }

    /// A person with external ids (`POST /_sandbox/census/persons`), as `personJSON` shows one.
    func createPerson(name: String, externalIDs: [(String, String)]) async throws -> JSON {
        try await context.store.write { db -> JSON in
            try Self.personJSON(db, id: Self.createPerson(db, name: name, externalIDs: externalIDs,
                                                          now: context.clock.nowMilliseconds()))
        }
    }

    func personJSON(qualifiedID: String) throws -> JSON? {
        try context.store.read { db -> JSON? in
            guard let id = try Self.person(db, qualifiedID: qualifiedID) else { return nil }
            return try Self.personJSON(db, id: id)
        }
    }
}
