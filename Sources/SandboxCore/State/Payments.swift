import HTTPServer
import SQLiteStore

/// The uniform view of every provider's payments (the control plane, the dashboard),
/// with a timeline of status changes. Providers write here in the same transaction as
/// their own tables.
public enum Payments {
    /// Records a new payment in the uniform view, with the first step of its timeline.
    public static func record(_ db: Database, provider: String, id: String, account: Int, status: String,
                              amount: String, currency: String?, at: Int64, note: String? = nil) throws {
        try db.run("""
            INSERT INTO payments (provider, id, account, status, amount, currency, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [provider, id, account, status, amount, currency, at, at])
        try db.run("INSERT INTO payment_events (provider, payment, at, status, note) VALUES (?, ?, ?, ?, ?)",
                   [provider, id, at, status, note])
    }

    /// The id of an account's newest payment (nil: none yet).
    static func newest(_ db: Database, provider: String, account: Int) throws -> String? {
        try db.queryOne(
            "SELECT id FROM payments WHERE provider = ? AND account = ? ORDER BY rowid DESC LIMIT 1",
            [provider, account]
        )?[0].string
    }

    /// Changes the status of a recorded payment (and notes it on the timeline).
    public static func setStatus(
        _ db: Database, provider: String, id: String, status: String, at: Int64, note: String? = nil
    ) throws {
        try db.run(
            "UPDATE payments SET status = ?, updated_at = ? WHERE provider = ? AND id = ?", [status, at, provider, id])
        try db.run("INSERT INTO payment_events (provider, payment, at, status, note) VALUES (?, ?, ?, ?, ?)",
                   [provider, id, at, status, note])
    }

    struct Filter {
        var provider: String?
        var status: String?
        var account: Int?
        /// Part of the payment's id (the dashboard's search).
        var idContains: String?
        var limit = 100
        var offset = 0
    }

    static func list(_ db: Database, _ filter: Filter) throws -> [JSON] {
        var conditions = Conditions()
        conditions.add("provider = ?", filter.provider)
        conditions.add("status = ?", filter.status)
        conditions.add("account = ?", filter.account)
        conditions.add("instr(id, ?) > 0", filter.idContains)
        return try db.query("""
            SELECT provider, id, account, status, amount, currency, created_at, updated_at FROM payments
            \(conditions.sql) ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?
            """, conditions.arguments + [filter.limit, filter.offset]).map(json)
    }

    static func find(_ db: Database, provider: String, id: String) throws -> JSON? {
        try db.queryOne("""
            SELECT provider, id, account, status, amount, currency, created_at, updated_at FROM payments
            WHERE provider = ? AND id = ?
            """, [provider, id]).map(json)
    }

    static func timeline(_ db: Database, provider: String, id: String) throws -> [JSON] {
        try db.query(
            "SELECT at, status, note FROM payment_events WHERE provider = ? AND payment = ? ORDER BY seq",
            [provider, id]
        ).map {
            [
                "at": .string(Timestamp.iso8601(milliseconds: $0["at"].int64 ?? 0)),
                "status": .string($0["status"].string ?? ""),
             "note": $0["note"].string.map(JSON.string) ?? .null]
        }
    }

    private static func json(_ row: Row) -> JSON {
        [
            "provider": .string(row["provider"].string ?? ""),
            "id": .string(row["id"].string ?? ""),
            "account": .int(row["account"].int ?? 0),
            "status": .string(row["status"].string ?? ""),
            "amount": .string(row["amount"].string ?? ""),
            "currency": row["currency"].string.map(JSON.string) ?? .null,
            "created_at": .string(Timestamp.iso8601(milliseconds: row["created_at"].int64 ?? 0)),
            "updated_at": .string(Timestamp.iso8601(milliseconds: row["updated_at"].int64 ?? 0)),
        ]
    }

    /// Minor units as a decimal string in major units: 10050 cents → "100.50".
    public static func decimal(minorUnits: Int, exponent: Int = 2) -> String {
        let negative = minorUnits < 0
        var digits = String(minorUnits.magnitude)
        if exponent == 0 { return (negative ? "-" : "") + digits }
        while digits.count <= exponent { digits = "0" + digits }
        let split = digits.index(digits.endIndex, offsetBy: -exponent)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }
}
