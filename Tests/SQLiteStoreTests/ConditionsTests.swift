import Testing
@testable import SQLiteStore

/// A `WHERE` clause from optional filters: only those given, their arguments in order.
@Suite struct ConditionsTests {
    @Test func onlyTheFiltersGiven() throws {
        var conditions = Conditions()
        #expect(conditions.sql == "")
        conditions.add("a = ?", 1)
        conditions.add("b = ?", nil as String?)
        conditions.add("c >= ?", "x")
        #expect(conditions.sql == "WHERE a = ? AND c >= ?")
        #expect(conditions.arguments.map(\.sqlValue) == [.integer(1), .text("x")])
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (a, c); INSERT INTO t VALUES (1, 'y'); INSERT INTO t VALUES (1, 'a');")
        #expect(try db.query("SELECT c FROM t \(conditions.sql)", conditions.arguments).map { $0[0].string } == ["y"])
    }
}
