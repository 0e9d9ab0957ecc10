import CSQLite
import CSQLiteWAL

let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
/// SQLite reads the value where it lies, for as long as it is bound.
let SQLITE_STATIC: sqlite3_destructor_type? = nil

/// One SQLite connection. Not thread-safe by itself: `Store` serializes access to it.
/// Statements are prepared once per SQL text and reused.
public final class Database {
    let handle: OpaquePointer
    public let path: String
    private var statements: [String: OpaquePointer] = [:]
    /// What runs once the store's write transaction in progress commits (`afterCommit`).
    var committed: [@Sendable () -> Void] = []

    /// Once, before the first open: `paysandbox_sqlite3_configure()`, and the VFS that hands
    /// a commit's WAL frames to the kernel in one write (`CSQLiteWAL`).
    private static let configured: Int32 = {
        let rc = paysandbox_sqlite3_configure()
        return rc != SQLITE_OK ? rc : paysandbox_wal_vfs_register()
    }()

    /// Opens (creating if needed) the database at `path`; `pageSize` is the page size of one it
    /// creates (SQLite's default, 4,096, otherwise).
    public init(path: String, pageSize: Int? = nil) throws {
        _ = Database.configured
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)", sql: nil)
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
        // Before WAL: a database in WAL mode keeps the page size it has.
        if let pageSize { try execute("PRAGMA page_size = \(pageSize)") }
        try configure()
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    public var isInMemory: Bool { path == ":memory:" || path.hasPrefix("file::memory:") || path.isEmpty }

    private func configure() throws {
        if !isInMemory {
            let mode = try query("PRAGMA journal_mode=WAL").first?[0].string
            guard mode?.lowercased() == "wal" else {
                throw SQLiteError(
                    code: SQLITE_ERROR, message: "journal_mode=WAL was refused (got \(mode ?? "nothing"))",
                    sql: "PRAGMA journal_mode=WAL")
            }
        }
        // A 32 MiB page cache: the random-key indexes (UUIDs) outgrew the 2 MiB default after a
        // few thousand payments, and every insert then read index pages back from the OS.
        // FULL with checkpoint_fullfsync: the commit's sync is the moment the VFS writes the
        // commit's frames out in one write, and elides the fsync (`CSQLiteWAL`): the
        // durability of NORMAL (checkpoints and WAL restarts still sync).
        try execute(
            "PRAGMA synchronous=FULL; PRAGMA checkpoint_fullfsync=ON; PRAGMA foreign_keys=ON; PRAGMA "
            + "temp_store=MEMORY; PRAGMA cache_size=-32768"
        )
    }

    /// Runs `action` once the store's write transaction this is part of has committed (never,
    /// if it rolls back): what was written wakes whoever acts on it, with no call to remember.
    public func afterCommit(_ action: @escaping @Sendable () -> Void) { committed.append(action) }

    /// Runs one or more statements with no arguments and no results.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// Runs a statement and returns every row.
    public func query(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [Row] {
        try rows(sql, arguments, limit: Int.max)
    }

    /// The first row, or nil.
    public func queryOne(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Row? {
        try rows(sql, arguments, limit: 1).first
    }

    private func rows(_ sql: String, _ arguments: [any SQLBindable], limit: Int) throws -> [Row] {
        var rows: [Row] = []
        try withStatement(sql, arguments) { statement in
            let count = sqlite3_column_count(statement)
            let columns = (0 ..< count).map { String(cString: sqlite3_column_name(statement, $0)) }
            while rows.count < limit, try step(statement, sql) {
                rows.append(Row(columns: columns, values: (0 ..< count).map { column(statement, $0) }))
            }
        }
        return rows
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int {
        try withStatement(sql, arguments) { statement in
            while try step(statement, sql) {}
        }
        return Int(sqlite3_changes(handle))
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws.
    @discardableResult
    public func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a savepoint inside the current transaction: if it throws, only its
    /// own changes are undone.
    @discardableResult
    public func savepoint<T>(_ body: (Database) throws -> T) throws -> T {
        // Cached statements: a savepoint per write in every batch, not parsed each time.
        try run("SAVEPOINT step")
        let actions = committed.count
        do {
            let result = try body(self)
            try run("RELEASE step")
            return result
        } catch {
            committed.removeSubrange(actions...)
            _ = try? run("ROLLBACK TO step")
            _ = try? run("RELEASE step")
            throw error
        }
    }

    // MARK: statements

    private func withStatement(_ sql: String, _ arguments: [any SQLBindable], _ body: (OpaquePointer) throws -> Void)
        throws
    {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == arguments.count else {
            throw SQLiteError(
                code: SQLITE_RANGE, message: "expected \(expected) arguments, got \(arguments.count)", sql: sql)
        }
        try bind(statement, arguments, from: 0, sql) { try body(statement) }
    }

    /// Binds `arguments` from `first` on, then runs `body`. A blob is bound where it lies
    /// (`SQLITE_STATIC`), the rest and `body` running inside its `withUnsafeBytes`: a copy of each
    /// (the journal's rows are megabytes) had been allocated and freed by SQLite per statement.
    private func bind(_ statement: OpaquePointer, _ arguments: [any SQLBindable], from first: Int, _ sql: String,
                      then body: () throws -> Void) throws {
        for index in first ..< arguments.count {
            let value = arguments[index].sqlValue
            guard case .blob(let bytes) = value else {
                try bind(statement, Int32(index + 1), value, sql)
                continue
            }
            return try bytes.withUnsafeBytes { bytes in
                let rc = sqlite3_bind_blob(
                    statement, Int32(index + 1), bytes.baseAddress, Int32(bytes.count), SQLITE_STATIC)
                guard rc == SQLITE_OK else { throw error(sql) }
                try bind(statement, arguments, from: index + 1, sql, then: body)
                // Unbound before the bytes may go (`withStatement` clears them again, harmlessly).
                sqlite3_clear_bindings(statement)
            }
        }
        try body()
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(sql) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: SQLValue, _ sql: String) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(statement, index)
        case .integer(let v): rc = sqlite3_bind_int64(statement, index, v)
        case .real(let v): rc = sqlite3_bind_double(statement, index, v)
        case .text(let v): rc = sqlite3_bind_text(statement, index, v, -1, SQLITE_TRANSIENT)
        case .blob(let v):  // (`bind(_:_:from:_:then:)` binds them in place)
            rc = v.withUnsafeBytes {
                sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)
            }
        }
        guard rc == SQLITE_OK else { throw error(sql) }
    }

    private func step(_ statement: OpaquePointer, _ sql: String) throws -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(sql)
        }
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    private func error(_ sql: String) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}
