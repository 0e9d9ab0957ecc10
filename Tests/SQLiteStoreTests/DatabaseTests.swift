import Testing
import SQLiteStore

@Suite struct DatabaseTests {
    @Test func typedRoundTrip() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int64.max, 1.5, "héllo", SQLValue.blob([0, 1, 255]), String?.none])
        let row = try #require(try db.queryOne("SELECT i, r, s, b, n FROM t"))
        #expect(row["i"] == .integer(Int64.max))
        #expect(row["r"].double == 1.5)
        #expect(row["s"].string == "héllo")
        #expect(row["b"] == .blob([0, 1, 255]))
        #expect(row["n"].isNull)
        #expect(row["missing"].isNull)
    }

    /// Blobs are bound where they lie, the statement run while they are: several in one
    /// statement, between other values, and in a query's condition while its rows are read.
    @Test func blobsBoundInPlaceAmongOtherValues() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (a BLOB, k INTEGER, b BLOB, s TEXT)")
        let big = (0 ..< 300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?)", [SQLValue.blob(big), 1, SQLValue.blob([9]), "x"])
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?)", [SQLValue.blob([]), 2, SQLValue.blob([8, 8]), "y"])
        let rows = try db.query("SELECT a, k, b, s FROM t WHERE b = ? OR a = ? ORDER BY k", [SQLValue.blob([8, 8]), SQLValue.blob(big)])
        #expect(rows.map { $0["k"].int } == [1, 2])
        #expect(rows.first?["a"] == .blob(big))
        #expect(rows.map { $0["b"] } == [.blob([9]), .blob([8, 8])])
        #expect(rows.map { $0["s"].string } == ["x", "y"])
    }

    @Test func statementsAreReusedWithFreshBindings() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
        for i in 0 ..< 100 { try db.run("INSERT INTO t VALUES (?, ?)", ["k\(i)", i]) }
        #expect(try db.queryOne("SELECT v FROM t WHERE k = ?", ["k42"])?[0].int == 42)
        #expect(try db.queryOne("SELECT v FROM t WHERE k = ?", ["k7"])?[0].int == 7)
        #expect(try db.query("SELECT k FROM t WHERE v < ? ORDER BY v", [3]).map { $0[0].string } == ["k0", "k1", "k2"])
    }

    @Test func errorsNameTheStatement() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        try db.run("INSERT INTO t VALUES (?)", ["a"])
        do {
            try db.run("INSERT INTO t VALUES (?)", ["a"])
            Issue.record("expected a constraint error")
        } catch let error as SQLiteError {
            #expect(error.isUniqueViolation)
            #expect(error.sql == "INSERT INTO t VALUES (?)")
        }
        #expect(throws: SQLiteError.self) { try db.query("SELECT nope FROM t") }
        #expect(throws: SQLiteError.self) { try db.query("SELECT k FROM t WHERE k = ?", []) }
    }

    @Test func transactionRollsBackWholly() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction { db in
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.queryOne("SELECT COUNT(*) FROM t")?[0].int == 0)
        try db.transaction { db in try db.run("INSERT INTO t VALUES (2)") }
        #expect(try db.queryOne("SELECT COUNT(*) FROM t")?[0].int == 1)
    }

    @Test func fileDatabaseIsInWALMode() throws {
        let path = "/tmp/paysandbox-test-\(UInt64.random(in: 0 ... .max)).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { _ = unlink(path + suffix) } }
        let db = try Database(path: path)
        #expect(try db.queryOne("PRAGMA journal_mode")?[0].string == "wal")
        // FULL, whose commit sync the VFS turns into the one write of the commit's frames.
        #expect(try db.queryOne("PRAGMA synchronous")?[0].int == 2)
        #expect(try db.queryOne("PRAGMA checkpoint_fullfsync")?[0].int == 1)
    }

    /// The VFS gathers a transaction's WAL frames, and writes them out at its commit: when
    /// COMMIT returns they are in the file, for a new connection (another process, say) to
    /// read; and a transaction rolled back leaves the committed ones readable.
    @Test func aCommitsFramesAreInTheWALWhenItReturns() throws {
        let path = "/tmp/paysandbox-test-\(UInt64.random(in: 0 ... .max)).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { _ = unlink(path + suffix) } }
        let db = try Database(path: path)
        try db.execute("PRAGMA wal_autocheckpoint=0")
        try db.execute("CREATE TABLE t (v TEXT)")
        let page = String(repeating: "x", count: 3000)
        try db.transaction { db in for i in 0 ..< 50 { try db.run("INSERT INTO t VALUES (?)", ["\(i)" + page]) } }
        var status = stat()
        #expect(stat(path + "-wal", &status) == 0 && status.st_size > 50 * 3000)
        struct RolledBack: Error {}
        #expect(throws: RolledBack.self) {
            try db.transaction { db in
                try db.run("INSERT INTO t VALUES (?)", ["lost" + page])
                throw RolledBack()
            }
        }
        let other = try Database(path: path)
        #expect(try other.queryOne("SELECT COUNT(*) FROM t")?[0].int == 50)
        try db.transaction { db in try db.run("INSERT INTO t VALUES ('after')") }
        #expect(try other.queryOne("SELECT COUNT(*) FROM t")?[0].int == 51)
        #expect(try other.queryOne("PRAGMA integrity_check")?[0].string == "ok")
    }

    @Test func openingAnUnwritablePathFails() {
        #expect(throws: SQLiteError.self) { try Database(path: "/nonexistent-dir/x/y.sqlite") }
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SavepointTests {
    @Test func aFailingStepIsUndoneAloneInsideTheTransaction() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        struct Boom: Error {}
        try db.transaction { db in
            try db.savepoint { db in try db.run("INSERT INTO t VALUES (1)") }
            #expect(throws: Boom.self) {
                try db.savepoint { db in
                    try db.run("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            try db.savepoint { db in try db.run("INSERT INTO t VALUES (3)") }
        }
        #expect(try db.query("SELECT v FROM t ORDER BY v").compactMap { $0[0].int } == [1, 3])
    }
}
