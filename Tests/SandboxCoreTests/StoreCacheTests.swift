import Testing
import SQLiteStore
@testable import SandboxCore

@Suite struct StoreCacheTests {
    private func store() throws -> Store {
        let store = try Store(path: ":memory:")
        try store.write { db in try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)"); try db.run("INSERT INTO t VALUES ('a', '1')") }
        return store
    }

    private func read(_ store: Store, _ key: String) throws -> String? {
        try store.read { db in try db.queryOne("SELECT v FROM t WHERE k = ?", [key])?[0].string }
    }

    @Test func aFollowingCacheServesUntilTheNextWrite() throws {
        let store = try store()
        let cache = StoreCache<String, String>(following: store)
        var loads = 0
        func lookup() throws -> String? { try cache.value("a") { loads += 1; return try read(store, "a") } }
        #expect(try lookup() == "1")
        #expect(try lookup() == "1")
        #expect(loads == 1)
        try store.write { db in try db.run("UPDATE t SET v = '2' WHERE k = 'a'") }
        #expect(try lookup() == "2")
        #expect(loads == 2)
        // A write that fails still ends a transaction: the cache starts over, never stale.
        _ = try? store.write { db in try db.run("INSERT INTO t VALUES ('a', 'dup')") }
        #expect(try lookup() == "2")
        #expect(loads == 3)
    }

    @Test func aReadThatAWriteOvertakesIsNotKept() throws {
        let store = try store()
        let cache = StoreCache<String, String>(following: store)
        let stale = try cache.value("a") {
            let before = try read(store, "a")
            try store.write { db in try db.run("UPDATE t SET v = '2' WHERE k = 'a'") }
            return before
        }
        #expect(stale == "1")
        #expect(try cache.value("a") { try read(store, "a") } == "2")
    }

    @Test func missesAreNotKeptAndInvalidateEmpties() throws {
        let store = try store()
        let cache = StoreCache<String, String>()
        var loads = 0
        #expect(try cache.value("zz") { loads += 1; return nil } == nil)
        #expect(try cache.value("zz") { loads += 1; return nil } == nil)
        #expect(loads == 2)
        #expect(try cache.value("a") { try read(store, "a") } == "1")
        try store.write { db in try db.run("UPDATE t SET v = '3' WHERE k = 'a'") }
        #expect(try cache.value("a") { try read(store, "a") } == "1")
        cache.invalidate()
        #expect(try cache.value("a") { try read(store, "a") } == "3")
    }
}
