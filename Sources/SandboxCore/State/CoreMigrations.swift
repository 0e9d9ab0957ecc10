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
        Migration("core-002-clock-jobs-deliveries-payments", """
            CREATE TABLE sandbox_state (
                key TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            );
            CREATE TABLE payments (
                provider TEXT NOT NULL,
                id TEXT NOT NULL,
                account INTEGER NOT NULL,
                status TEXT NOT NULL,
                amount TEXT NOT NULL,
                currency TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (provider, id)
            );
            CREATE INDEX payments_newest ON payments (created_at DESC);
            CREATE TABLE payment_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                provider TEXT NOT NULL,
                payment TEXT NOT NULL,
                at INTEGER NOT NULL,
                status TEXT NOT NULL,
                note TEXT
            );
            CREATE INDEX payment_events_payment ON payment_events (provider, payment, seq);
            CREATE TABLE jobs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                provider TEXT NOT NULL,
                kind TEXT NOT NULL,
                payment TEXT NOT NULL,
                due_at INTEGER NOT NULL,
                payload TEXT NOT NULL DEFAULT '{}',
                created_at INTEGER NOT NULL
            );
            CREATE INDEX jobs_due ON jobs (due_at, id);
            CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                provider TEXT NOT NULL,
                account INTEGER NOT NULL,
                payment TEXT NOT NULL,
                kind TEXT NOT NULL,
                url TEXT NOT NULL,
                content_type TEXT NOT NULL,
                body BLOB NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                replays INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
            CREATE INDEX deliveries_payment ON deliveries (provider, payment, id);
            CREATE TABLE delivery_attempts (
                delivery INTEGER NOT NULL,
                number INTEGER NOT NULL,
                at INTEGER NOT NULL,
                status_code INTEGER,
                error TEXT,
                duration_ms INTEGER NOT NULL,
                response TEXT,
                PRIMARY KEY (delivery, number)
            );
            """),
        // Deliveries are ordered per account and payment: payment ids of two accounts may
        // coincide (sample ids, fixed strings), and one account's failing receiver must not
        // hold back another's.
        Migration("core-003-deliveries-ordered-per-account", """
            DROP INDEX deliveries_payment;
            CREATE INDEX deliveries_payment ON deliveries (provider, account, payment, id);
            """),
        // Fault rules as they were posted (`Faults`), so that a restart keeps them.
        Migration("core-004-fault-rules", """
            CREATE TABLE fault_rules (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                rule TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            """),
        // A delivery's fault (`DeliveryFault.text`), decided once before its first attempt;
        // NULL: not decided yet, '': none.
        Migration("core-005-delivery-faults", "ALTER TABLE deliveries ADD COLUMN fault TEXT;"),
        // The order of a payment's queue when a `reorder` fault changed it (else the id's).
        Migration("core-006-delivery-sequence", "ALTER TABLE deliveries ADD COLUMN sequence INTEGER;"),
        // The bearer tokens providers issue (`ProviderContext.issueToken`), one table for all.
        Migration("core-007-bearer-tokens", """
            CREATE TABLE bearer_tokens (
                provider TEXT NOT NULL,
                token TEXT NOT NULL,
                account INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (provider, token)
            );
            """),
        // The request journal, attributed (`RequestJournal`): what the witness reads, one row per
        // account and flush (`JournalCoding`). The history lives in a database of its own now
        // (`RequestJournal.historyPath`); this table only carries it inside a snapshot.
        Migration("core-008-journal", """
            CREATE TABLE journal (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                provider TEXT NOT NULL,
                account INTEGER,
                first INTEGER NOT NULL,
                last INTEGER NOT NULL,
                count INTEGER NOT NULL,
                entries BLOB NOT NULL
            );
            CREATE INDEX journal_account ON journal (provider, account, last);
            CREATE INDEX journal_last ON journal (last);
            """),
        // When an attempt went out, on the wall clock: the witness orders callbacks and calls by it
        // (the sandbox clock may be frozen).
        Migration("core-009-attempt-wall-time", "ALTER TABLE delivery_attempts ADD COLUMN wall INTEGER;"),
    ]
}
