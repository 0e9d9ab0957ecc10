import HTTPServer
import SQLiteStore

/// A callback, webhook or postback to send: inserted in the transaction of the state
/// change that causes it, sent afterwards by the scheduler.
public struct NewDelivery: Sendable {
    public let provider: String
    public let account: Int
    public let payment: String
    /// "callback", "webhook", "postback": how the provider's document names it.
    public let kind: String
    public let url: String
    public let contentType: String
    public let body: [UInt8]

    public init(provider: String, account: Int, payment: String, kind: String, url: String,
                contentType: String = "application/json", body: [UInt8]) {
        self.provider = provider
        self.account = account
        self.payment = payment
        self.kind = kind
        self.url = url
        self.contentType = contentType
        self.body = body
    }
}

/// How deliveries are retried: exponential backoff with jitter, capped, then failed.
public struct DeliveryPolicy: Sendable {
    public var maxAttempts = 10
    public var baseDelaySeconds = 5.0
    public var maxDelaySeconds = 3600.0
    /// ± this fraction of each delay.
    public var jitter = 0.1
    /// Seconds to connect and to wait for the answer; whole-request limit is twice it.
    public var timeoutSeconds = 10.0
    /// `host` or `host:port` entries deliveries may go to; empty allows all.
    public var allowedHosts: [String] = []

    public init() {}

    /// The delay before attempt `failedAttempts + 1`, before jitter.
    func delay(afterFailedAttempts n: Int) -> Double {
        min(maxDelaySeconds, baseDelaySeconds * Double(1 << min(max(n - 1, 0), 30)))
    }
}

struct DeliveryRow: Sendable {
    let id: Int64
    let provider: String
    var account = 0
    let payment: String
    let url: String
    let contentType: String
    let body: [UInt8]
    let attempts: Int
    /// Replays requested before this attempt started.
    let replays: Int
    /// Its fault (`DeliveryFault.text`): nil not decided yet, "" none.
    var fault: String?
}

struct AttemptResult: Sendable {
    let statusCode: Int?
    let error: String?
    let durationMs: Int
    let response: String?
    /// True when retrying cannot help (a host outside `--callback-allow`).
    var permanent = false
    /// When it went out (wall clock, ms); nil: now, for one that never left.
    var startedWall: Int64?

    var delivered: Bool { statusCode.map { (200 ..< 300).contains($0) } ?? false }
}

extension DeliveryRow {
    func with(account: Int, fault: String?) -> DeliveryRow {
        var row = self
        row.account = account
        row.fault = fault
        return row
    }
}

public enum Outbox {
    @discardableResult
    public static func enqueue(_ db: Database, _ d: NewDelivery, now: Int64) throws -> Int64 {
        try db.run("""
            INSERT INTO deliveries (provider, account, payment, kind, url, content_type, body, state,
                next_attempt_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
            """, [d.provider, d.account, d.payment, d.kind, d.url, d.contentType, SQLValue.blob(d.body), now, now, now])
        return db.lastInsertRowID
    }

    /// Due deliveries, at most the oldest pending one per account and payment (the order of
    /// one payment's callbacks; accounts never wait for each other).
    static func due(_ db: Database, now: Int64, limit: Int = 64) throws -> [DeliveryRow] {
        try db.query("""
            SELECT d.id, d.provider, d.account, d.payment, d.url, d.content_type, d.body, d.attempts, d.replays, d.fault
            FROM deliveries d
            WHERE d.state = 'pending' AND d.next_attempt_at <= ?
              AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.provider = d.provider AND e.account = d.account
                              AND e.payment = d.payment AND e.state = 'pending'
                              AND COALESCE(e.sequence, e.id) < COALESCE(d.sequence, d.id))
            ORDER BY d.next_attempt_at, d.id LIMIT ?
            """, [now, limit]).map {
            DeliveryRow(
                id: $0["id"].int64 ?? 0, provider: $0["provider"].string ?? "", payment: $0["payment"].string ?? "",
                url: $0["url"].string ?? "", contentType: $0["content_type"].string ?? "application/json",
                body: $0["body"].bytes, attempts: $0["attempts"].int ?? 0, replays: $0["replays"].int ?? 0
            )
                .with(account: $0["account"].int ?? 0, fault: $0["fault"].string)
        }
    }

    /// The earliest time a pending delivery is due (the head of each payment's queue).
    static func nextDue(_ db: Database) throws -> Int64? {
        try db.queryOne("SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'")?[0].int64
    }

    /// Records an attempt and decides what follows: delivered, retried later, or failed.
    static func record(_ db: Database, _ row: DeliveryRow, _ result: AttemptResult, at now: Int64,
                       policy: DeliveryPolicy, jitter: Double) throws {
        // A reset may have removed it meanwhile.
        guard let current = try db.queryOne("SELECT attempts, replays, fault FROM deliveries WHERE id = ?", [row.id])
        else { return }
        let number = (current["attempts"].int ?? row.attempts) + 1
        try db.run("""
            INSERT INTO delivery_attempts (delivery, number, at, status_code, error, duration_ms, response, wall)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [row.id, number, now, result.statusCode, result.error, result.durationMs, result.response,
                  result.startedWall ?? SandboxClock.systemMilliseconds()])
        let duplicated = number == 1 && current["fault"].string.flatMap(DeliveryFault.init(text:))?.kind == .duplicate
        if (current["replays"].int ?? 0) > row.replays || duplicated {
            // Replayed while this attempt was on the wire, or a `duplicate` fault: sent again now.
            try db.run(
                "UPDATE deliveries SET state = 'pending', attempts = ?, next_attempt_at = ?, updated_at = ? "
                + "WHERE id = ?",
                       [number, now, now, row.id])
        } else if result.delivered {
            try db.run(
                "UPDATE deliveries SET state = 'delivered', attempts = ?, next_attempt_at = NULL, updated_at = "
                + "? WHERE id = ?",
                       [number, now, row.id])
        } else if result.permanent || number >= policy.maxAttempts {
            try db.run(
                "UPDATE deliveries SET state = 'failed', attempts = ?, next_attempt_at = NULL, updated_at = ? "
                + "WHERE id = ?",
                       [number, now, row.id])
        } else {
            let delay = policy.delay(afterFailedAttempts: number) * (1 + policy.jitter * jitter)
            try db.run("UPDATE deliveries SET attempts = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
                       [number, now + Int64(delay * 1000), now, row.id])
        }
    }

    /// Keeps the faults decided for due deliveries; a `delay` moves the first attempt later.
    /// A `reorder` reverses the payment's deliveries due now (newest first), when there are
    /// more than one; returns the ids whose turn moved (not to be sent in this round).
    @discardableResult
    static func decide(_ db: Database, _ decisions: [(Int64, DeliveryFault?)], now: Int64) throws -> Set<Int64> {
        var moved: Set<Int64> = []
        for (id, fault) in decisions {
            if let fault, fault.kind == .reorder {
                let together = try db.query("""
                    SELECT e.id FROM deliveries d JOIN deliveries e ON e.provider = d.provider AND e.account = d.account
                      AND e.payment = d.payment AND e.state = 'pending' AND e.next_attempt_at <= ?
                    WHERE d.id = ? ORDER BY e.id
                    """, [now, id]).compactMap { $0[0].int64 }
                if together.count > 1 {
                    for other in together {
                        try db.run(
                            "UPDATE deliveries SET fault = ?, sequence = ? WHERE id = ?", [fault.text, -other, other])
                    }
                    moved.insert(id)
                } else {
                    try db.run("UPDATE deliveries SET fault = '' WHERE id = ?", [id])
                }
            } else if let fault, fault.kind == .delay {
                try db.run(
                    "UPDATE deliveries SET fault = ?, next_attempt_at = ? WHERE id = ?",
                    [fault.text, now + Int64(fault.amount) * 1000, id])
            } else {
                try db.run("UPDATE deliveries SET fault = ? WHERE id = ?", [fault?.text ?? "", id])
            }
        }
        return moved
    }

    /// Sends a delivery again: pending and due now, whatever its state.
    static func replay(_ db: Database, id: Int64, now: Int64) throws -> Bool {
        try db.run(
            "UPDATE deliveries SET state = 'pending', replays = replays + 1, next_attempt_at = ?, updated_at = "
            + "? WHERE id = ?",
                   [now, now, id]) == 1
    }

    struct Filter {
        var provider: String?
        var state: String?
        var payment: String?
        var limit = 50
        var offset = 0
    }

    static func list(_ db: Database, _ filter: Filter) throws -> [JSON] {
        var conditions = Conditions()
        conditions.add("provider = ?", filter.provider)
        conditions.add("state = ?", filter.state)
        conditions.add("payment = ?", filter.payment)
        return try db.query("SELECT * FROM deliveries \(conditions.sql) ORDER BY id DESC LIMIT ? OFFSET ?",
                            conditions.arguments + [filter.limit, filter.offset]).map { try json(db, $0) }
    }

    static func find(_ db: Database, id: Int64) throws -> JSON? {
        try db.queryOne("SELECT * FROM deliveries WHERE id = ?", [id]).map { try json(db, $0) }
    }

    private static func json(_ db: Database, _ row: Row) throws -> JSON {
        let id = row["id"].int64 ?? 0
        let attempts: [JSON] = try db.query("SELECT * FROM delivery_attempts WHERE delivery = ? ORDER BY number", [id])
            .map {
            [
                "number": .int($0["number"].int ?? 0),
                "at": .string(Timestamp.iso8601(milliseconds: $0["at"].int64 ?? 0)),
                "status_code": $0["status_code"].int.map { .int($0) } ?? .null,
                "error": $0["error"].string.map(JSON.string) ?? .null,
                "duration_ms": .int($0["duration_ms"].int ?? 0),
                "response": $0["response"].string.map(JSON.string) ?? .null,
            ]
        }
        let body = row["body"].bytes
        let contentType = row["content_type"].string ?? ""
        let payload: JSON =
            contentType.hasPrefix("application/json")
            ? ((try? JSON.parse(body)) ?? .string(String(decoding: body, as: UTF8.self)))
            : .string(String(decoding: body, as: UTF8.self))
        return [
            "id": .int(id),
            "provider": .string(row["provider"].string ?? ""),
            "account": .int(row["account"].int ?? 0),
            "payment": .string(row["payment"].string ?? ""),
            "kind": .string(row["kind"].string ?? ""),
            "url": .string(row["url"].string ?? ""),
            "content_type": .string(contentType),
            "payload": payload,
            "state": .string(row["state"].string ?? ""),
            "next_attempt_at": row["next_attempt_at"].int64.map { .string(Timestamp.iso8601(milliseconds: $0)) }
                ?? .null,
            "created_at": .string(Timestamp.iso8601(milliseconds: row["created_at"].int64 ?? 0)),
            "updated_at": .string(Timestamp.iso8601(milliseconds: row["updated_at"].int64 ?? 0)),
            "attempts": .array(attempts),
            "fault": row["fault"].string.flatMap(DeliveryFault.init(text:))?.json ?? .null,
        ]
    }
}
