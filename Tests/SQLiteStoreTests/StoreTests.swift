import Dispatch
import Testing
import SQLiteStore

@Suite struct StoreTests {
    @Test func concurrentWritersAllLand() throws {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (v INTEGER)") }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0 ..< 100 {
                _ = try? store.write { db in try db.run("INSERT INTO t VALUES (?)", [worker * 1000 + i]) }
            }
        }
        #expect(try store.read { db in try db.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 800)
    }
}
