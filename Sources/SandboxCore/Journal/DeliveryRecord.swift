import HTTPServer
import SQLiteStore

/// A callback, webhook or postback with its attempts, as the witness reads it.
public struct DeliveryRecord: Sendable {
    public struct Attempt: Sendable {
        public let number: Int
        /// When it was recorded (sandbox clock) and when it went out (wall clock), ms.
        public let at: Int64
        public let wall: Int64
        public let statusCode: Int?
        public let error: String?
        public let durationMs: Int

        /// A `drop_first` fault's attempt: never sent, the merchant saw nothing.
        public var dropped: Bool { error?.hasPrefix("dropped by fault rule") ?? false }
        public var answered2xx: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
    }

    public let id: Int64
    public let provider: String
    public let account: Int
    public let payment: String
    public let kind: String
    public let url: String
    public let body: [UInt8]
    public let contentType: String
    /// pending, delivered, failed.
    public let state: String
    /// Its fault's kind (`duplicate`, `drop_first`, …), nil for none.
    public let fault: String?
    public let replays: Int
    public let attempts: [Attempt]

    /// The payload as JSON (a form's fields as strings).
    public var payload: JSON? { Call.decode(body, HTTPHeaders([("Content-Type", contentType)])) }

    /// Attempts that reached the merchant (dropped ones left out).
    public var sent: [Attempt] { attempts.filter { !$0.dropped } }

    /// One account's deliveries with an id above `after`, oldest first.
    static func list(_ db: Database, provider: String, account: Int?, payment: String?, after: Int64, limit: Int)
        throws -> [DeliveryRecord]
    {
        var conditions = Conditions()
        conditions.add("provider = ?", provider)
        conditions.add("account = ?", account)
        conditions.add("payment = ?", payment)
        conditions.add("id > ?", after)
        let rows = try db.query("SELECT * FROM deliveries \(conditions.sql) ORDER BY id LIMIT ?",
                                conditions.arguments + [limit])
        return try rows.map { row in
            let id = row["id"].int64 ?? 0
            let attempts = try db.query("SELECT * FROM delivery_attempts WHERE delivery = ? ORDER BY number", [id])
                .map { a in
                    Attempt(number: a["number"].int ?? 0, at: a["at"].int64 ?? 0,
                            wall: a["wall"].int64 ?? a["at"].int64 ?? 0,
                            statusCode: a["status_code"].int, error: a["error"].string,
                            durationMs: a["duration_ms"].int ?? 0)
                }
            return DeliveryRecord(
                id: id, provider: row["provider"].string ?? "", account: row["account"].int ?? 0,
                payment: row["payment"].string ?? "", kind: row["kind"].string ?? "", url: row["url"].string ?? "",
                body: row["body"].bytes, contentType: row["content_type"].string ?? "",
                state: row["state"].string ?? "",
                fault: row["fault"].string.flatMap(DeliveryFault.init(text:))?.kind.rawValue,
                replays: row["replays"].int ?? 0, attempts: attempts)
        }
    }
}

extension Sandbox {
    /// Deliveries of `provider` (of one account, one payment) with an id above `after`, oldest first.
    public func deliveryRecords(provider: String, account: Int? = nil, payment: String? = nil, after: Int64 = 0,
                                limit: Int = 10_000) throws -> [DeliveryRecord] {
        try store.read { db in
            try DeliveryRecord.list(db, provider: provider, account: account, payment: payment, after: after,
                                    limit: limit)
        }
    }

    /// The newest journal id and delivery id: where a report starts again.
    public func marks() throws -> (call: Int64, delivery: Int64) {
        (try journal.lastID(),
         try store.read { db in try db.queryOne("SELECT COALESCE(MAX(id), 0) FROM deliveries")?[0].int64 ?? 0 })
    }

    /// Adds a fault rule as `POST /_sandbox/faults` does (its JSON; a `FaultError` says what is wrong).
    public func addFault(_ body: JSON) throws -> JSON {
        try faults.add(body, routes: { [tables = routeTables] in tables[$0] }, now: context.clock.nowISO8601())
    }

    /// Removes fault rules by id (unknown ones are skipped).
    public func removeFaults(_ ids: [Int]) throws {
        for id in ids { try faults.remove(id) }
    }

    /// The fault rules as `GET /_sandbox/faults` lists them.
    public var faultRules: [JSON] { faults.list() }

    /// A provider's documented routes ("POST /api/v1/create_transaction").
    public func documentedRoutes(_ provider: String) -> [String] { RouteTable(routeTables[provider] ?? []).routes }
}
