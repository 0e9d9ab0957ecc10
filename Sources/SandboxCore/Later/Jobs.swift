import HTTPServer
import SQLiteStore

/// A durable "at time T, do X to payment P", run by the scheduler in a transaction of
/// its own together with the deliveries it causes.
public struct Job: Sendable {
    public let id: Int64
    public let provider: String
    public let kind: JobKind
    public let payment: String
    public let dueAt: Int64
    public let payload: JSON
}

/// What a job does: `settle` (the core's: complete the payment with its plan's outcome), and
/// each provider's own (`static let expire = JobKind("expire")` in an extension).
public struct JobKind: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public init(stringLiteral name: String) { self.name = name }
    public var description: String { name }

    public static let settle = JobKind("settle")
}

public enum Jobs {
    public static func schedule(_ db: Database, provider: String, kind: JobKind, payment: String, at: Int64,
                                payload: JSON = [:], now: Int64) throws {
        try db.run("INSERT INTO jobs (provider, kind, payment, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [provider, kind.name, payment, at, payload.serialized(), now])
    }

    /// Drops a payment's pending jobs (of one kind, or all).
    public static func cancel(_ db: Database, provider: String, payment: String, kind: JobKind? = nil) throws {
        if let kind {
            try db.run("DELETE FROM jobs WHERE provider = ? AND payment = ? AND kind = ?",
                       [provider, payment, kind.name])
        } else {
            try db.run("DELETE FROM jobs WHERE provider = ? AND payment = ?", [provider, payment])
        }
    }

    static func due(_ db: Database, now: Int64, limit: Int = 100) throws -> [Job] {
        try db.query(
            "SELECT id, provider, kind, payment, due_at, payload FROM jobs WHERE due_at <= ? ORDER BY due_at, "
            + "id LIMIT ?",
            [now, limit]
        ).map {
            Job(id: $0["id"].int64 ?? 0, provider: $0["provider"].string ?? "", kind: JobKind($0["kind"].string ?? ""),
                payment: $0["payment"].string ?? "", dueAt: $0["due_at"].int64 ?? 0,
                payload: (try? JSON.parse($0["payload"].string ?? "{}")) ?? [:])
        }
    }

    /// Takes the job for running: true for exactly one caller.
    static func claim(_ db: Database, _ id: Int64) throws -> Bool {
        try db.run("DELETE FROM jobs WHERE id = ?", [id]) == 1
    }

    static func nextDue(_ db: Database) throws -> Int64? {
        try db.queryOne("SELECT MIN(due_at) FROM jobs")?[0].int64
    }
}
