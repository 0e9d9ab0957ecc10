import CSQLite
import Foundation

/// Whole-database copies, as SQLite's serialization and online backup make them: a snapshot
/// is the database's bytes as of one committed moment; a restore replaces every page of the
/// live database in one transaction, so that no request sees half of either state.
extension Store {
    /// The database's bytes as of one committed moment. Writes go on meanwhile (the copy
    /// reads a snapshot of its own on a fresh connection); an in-memory store is copied under
    /// the write lock.
    public func snapshot() throws -> [UInt8] {
        if isInMemory {
            return try withWriter { try Store.serialize($0) }
        }
        let reader = try Database(path: path)
        try reader.execute("PRAGMA query_only=ON")
        // One statement reads every page: one read transaction, one committed moment.
        return try Store.serialize(reader)
    }

    /// Opens `bytes` as a database of its own (in memory), for checking or migrating before a
    /// restore; throws when they are not a SQLite database.
    public static func open(bytes input: [UInt8]) throws -> Database {
        guard input.count >= 100, input.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw SQLiteError(code: SQLITE_NOTADB, message: "no SQLite header", sql: nil)
        }
        let bytes = standalone(input)
        let db = try Database(path: ":memory:")
        let size = Int64(bytes.count)
        guard let buffer = sqlite3_malloc64(UInt64(max(1, bytes.count))) else {
            throw SQLiteError(code: SQLITE_NOMEM, message: "out of memory", sql: nil)
        }
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
        }
        let flags = UInt32(SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE)
        let rc = sqlite3_deserialize(db.handle, "main", buffer.assumingMemoryBound(to: UInt8.self), size, size, flags)
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: "not a SQLite database", sql: nil) }
        // Reading it proves it is one: a file of another kind fails here, a damaged one says so.
        let check = try db.query("PRAGMA quick_check").first?[0].string
        guard check == "ok" else {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "damaged: \(check ?? "")", sql: nil)
        }
        return db
    }

    /// Replaces the live database with `source`'s pages, in one transaction under the write
    /// lock: writes queued meanwhile run after it, on the restored state.
    public func restore(from source: Database) throws {
        defer { bumpCommits() }
        try withWriter { writer in
            guard let backup = sqlite3_backup_init(writer.handle, "main", source.handle, "main") else {
                throw SQLiteError(
                    code: sqlite3_errcode(writer.handle), message: String(cString: sqlite3_errmsg(writer.handle)),
                    sql: nil)
            }
            let rc = sqlite3_backup_step(backup, -1)
            sqlite3_backup_finish(backup)
            guard rc == SQLITE_DONE else {
                throw SQLiteError(code: rc, message: "restore failed: \(String(cString: sqlite3_errstr(rc)))", sql: nil)
            }
        }
    }

    /// A connection's database as bytes.
    public static func serialize(_ db: Database) throws -> [UInt8] {
        var size: Int64 = 0
        guard let data = sqlite3_serialize(db.handle, "main", &size, 0) else {
            throw SQLiteError(code: SQLITE_NOMEM, message: "could not serialize the database", sql: nil)
        }
        defer { sqlite3_free(data) }
        return standalone(Array(UnsafeBufferPointer(start: data, count: Int(size))))
    }

    /// The bytes of a database file that needs no WAL beside it: header bytes 18 and 19 (the
    /// format's write and read versions) say rollback journal (1) instead of WAL (2).
    private static func standalone(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 100, bytes[18] == 2 || bytes[19] == 2 else { return bytes }
        var copy = bytes
        copy[18] = 1
        copy[19] = 1
        return copy
    }
}
