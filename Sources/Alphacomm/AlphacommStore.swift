import HTTPServer
import SQLiteStore
import SandboxCore

/// All of Alphacomm's SQL: its PayPal payments (access tokens are the core's).
struct AlphacommStore {
    let context: ProviderContext

    static let migrations: [Migration] = [
        Migration("alphacomm-001", """
            CREATE TABLE alphacomm_tokens (
                token TEXT PRIMARY KEY NOT NULL,
                account INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );
            CREATE TABLE alphacomm_payments (
                id TEXT PRIMARY KEY NOT NULL,
                account INTEGER NOT NULL,
                request TEXT NOT NULL,
                state TEXT NOT NULL,
                auto_capture INTEGER NOT NULL,
                return_url TEXT NOT NULL,
                company TEXT NOT NULL,
                logo TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount INTEGER NOT NULL,
                description TEXT NOT NULL,
                lines TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX alphacomm_payments_account ON alphacomm_payments (account, created_at);
            """),
        // Tokens are the core's (`ProviderContext.issueToken`).
        Migration("alphacomm-002-tokens-in-core", "DROP TABLE alphacomm_tokens;"),
    ]

    /// Access tokens last an hour (the OAuth2 server's usual default).
    static let tokenLifetime: Int64 = 3600
    /// An unapproved payment expires after three hours, as a PayPal approval does.
    static let approvalLifetime: Int64 = 3 * 3600

    struct Payment: Sendable, Decodable {
        let id, request, returnURL, company, logo, currency, description: String
        let account, amount: Int
        let state: State
        let autoCapture: Bool
        /// As stored; parsed only by the page that shows them (a status call had spent a sixth
        /// of its time parsing them).
        let lines: String
        let updatedAt: Int64

        var lineItems: JSON { (try? JSON.parse(lines)) ?? [] }

        enum State: String, Sendable, Decodable { case accepted, authorized, captured, cancelled, expired }
    }

    static func payment(_ db: Database, id: String) throws -> Payment? {
        try db.queryOne("SELECT * FROM alphacomm_payments WHERE id = ?", [id])?.decode(Payment.self)
    }

    func payment(id: String) throws -> Payment? {
        try context.store.read { db in try Self.payment(db, id: id) }
    }

    enum Created { case new, repeated(Payment), conflict }

    /// Stores an accepted payment with its expiry and settle jobs; a repeated paymentId is
    /// the same payment when the request is identical, a conflict otherwise.
    func create(account: Int, request: JSON, plan: SettlePlan) async throws -> Created {
        let id = request["paymentId"]?.stringValue ?? ""
        let transaction = request["transaction"] ?? [:]
        let now = context.clock.nowMilliseconds()
        let canonical = request.serialized()
        // Every value made before the write: the batch is what every create waits on.
        let amount = transaction["amount"]?.intValue ?? 0
        let currency = transaction["currency"]?.stringValue ?? ""
        let row: [any SQLBindable] = [
            id, account, canonical, request["autoCapture"]?.boolValue ?? false, request["returnUrl"]?.stringValue ?? "",
            request["companyName"]?.stringValue ?? "", request["logo"]?.stringValue ?? "", currency, amount,
            transaction["description"]?.stringValue ?? "", (transaction["lines"] ?? []).serialized(), now, now,
        ]
        let decimalAmount = Payments.decimal(minorUnits: amount)
        let result = try await context.store.write { db -> Created in
            if let existing = try Self.payment(db, id: id) {
                return existing.account == account && existing.request == canonical ? .repeated(existing) : .conflict
            }
            try db.run("""
                INSERT INTO alphacomm_payments (id, account, request, state, auto_capture, return_url, company,
                    logo, currency, amount,
                    description, lines, created_at, updated_at)
                VALUES (?, ?, ?, 'accepted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, row)
            try context.record(db, id: id, account: account, status: Payment.State.accepted.rawValue,
                                amount: decimalAmount, currency: currency, at: now, plan: plan)
            try context.schedule(db, kind: .expire, payment: id, at: now + Self.approvalLifetime * 1000)
            return .new
        }
        return result
    }

    /// Moves a payment to `state` (and the uniform view with it).
    static func setState(_ db: Database, id: String, state: Payment.State, note: String? = nil,
                         context: ProviderContext) throws {
        let now = context.clock.nowMilliseconds()
        try db.run("UPDATE alphacomm_payments SET state = ?, updated_at = ? WHERE id = ?", [state.rawValue, now, id])
        try context.setStatus(db, id: id, status: state.rawValue, at: now, note: note)
    }

    /// The payer approves (authorized, or captured at once with autoCapture) or cancels.
    static func complete(_ db: Database, id: String, outcome: Outcome, context: ProviderContext) throws {
        try context.complete(db, payment: id, try payment(db, id: id), status: \.state.rawValue,
                             open: ["accepted", "authorized"]) { payment in
            let next: Payment.State
            switch (payment.state, outcome.kind) {
            case (.accepted, .success): next = payment.autoCapture ? .captured : .authorized
            case (.authorized, .success): next = .captured
            case (.accepted, .failure): next = .cancelled
            default: throw CompletionError.alreadyFinal(status: payment.state.rawValue)
            }
            try db.run("UPDATE alphacomm_payments SET state = ?, updated_at = ? WHERE id = ?",
                       [next.rawValue, context.clock.nowMilliseconds(), id])
            return Completion(status: next.rawValue,
                              note: outcome.message ?? (next == .cancelled ? "Cancelled by the payer" : nil))
        }
    }

    /// The payer's answer on the approval page, if the payment still waits for one; the
    /// merchant's return URL.
    func approve(id: String, outcome: Outcome) async throws -> String {
        try await context.store.write { db in
            guard let payment = try Self.payment(db, id: id) else { throw CompletionError.notFound }
            guard payment.state == .accepted else { throw CompletionError.alreadyFinal(status: payment.state.rawValue) }
            try Self.complete(db, id: id, outcome: outcome, context: context)
            return payment.returnURL
        }
    }

    /// Checked and captured in one transaction, so that a capture racing the payer's cancel
    /// (or another capture) sees the state it changes.
    func capture(id: String) async throws -> Payment {
        try await context.store.write { db -> Payment in
            guard let payment = try Self.payment(db, id: id) else {
                throw AlphacommError.notFound("No payment \(id)")
            }
            guard payment.state == .authorized else {
                throw AlphacommError.invalidState(
                    "Payment \(id) is \(payment.state): only an authorized payment can be captured")
            }
            try Self.setState(db, id: id, state: .captured, context: context)
            return try Self.payment(db, id: id) ?? payment
        }
    }
}

extension JobKind {
    /// Ends an approval nobody gave (`AlphacommStore.approvalLifetime`).
    static let expire = JobKind("expire")
}
