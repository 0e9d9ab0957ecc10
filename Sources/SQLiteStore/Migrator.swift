/// Versioned schema migrations, applied in order, each in its own transaction, and
/// recorded in `schema_migrations` so each runs once per database.
public struct Migration: Sendable {
    public let id: String
    public let sql: String

    public init(_ id: String, _ sql: String) {
        self.id = id
        self.sql = sql
    }
}

public enum Migrator {
    /// Applies the migrations not yet applied; returns the ids it applied.
    @discardableResult
    public static func migrate(_ db: Database, _ migrations: [Migration]) throws -> [String] {
        try db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT "
            + "NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
        )
        let done = Set(try db.query("SELECT id FROM schema_migrations").compactMap { $0[0].string })
        var applied: [String] = []
        for migration in migrations where !done.contains(migration.id) {
            try db.transaction { db in
                try db.execute(migration.sql)
                try db.run("INSERT INTO schema_migrations (id) VALUES (?)", [migration.id])
            }
            applied.append(migration.id)
        }
        return applied
    }

    /// The user tables of the database (everything but SQLite's and the migration log).
    public static func tables(_ db: Database) throws -> [String] {
        try db.query(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name != "
            + "'schema_migrations' ORDER BY name"
        )
            .compactMap { $0[0].string }
    }
}
