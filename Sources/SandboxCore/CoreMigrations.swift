import SQLiteStore

enum CoreMigrations {
    static let all: [Migration] = [
        Migration("core-001-accounts", """
            CREATE TABLE accounts (
                provider TEXT NOT NULL,
                id INTEGER NOT NULL,
                login TEXT NOT NULL,
                secret TEXT NOT NULL,
                settings TEXT NOT NULL DEFAULT '{}',
                created_at TEXT NOT NULL,
                PRIMARY KEY (provider, id),
                UNIQUE (provider, login)
            );
            """),
    ]
}
