import Testing
import SQLiteStore

@Suite struct MigratorTests {
    let migrations = [
        Migration("001", "CREATE TABLE a (x INTEGER)"),
        Migration("002", "CREATE TABLE b (y INTEGER); CREATE INDEX b_y ON b (y)"),
    ]

    @Test func appliesOnceInOrder() throws {
        let db = try Database(path: ":memory:")
        #expect(try Migrator.migrate(db, migrations) == ["001", "002"])
        #expect(try Migrator.migrate(db, migrations) == [])
        #expect(try Migrator.migrate(db, migrations + [Migration("003", "ALTER TABLE a ADD COLUMN z TEXT")]) == ["003"])
        #expect(try Migrator.tables(db) == ["a", "b"])
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let db = try Database(path: ":memory:")
        let bad = [Migration("001", "CREATE TABLE a (x INTEGER); CREATE TABLE a (x INTEGER)")]
        #expect(throws: SQLiteError.self) { try Migrator.migrate(db, bad) }
        #expect(try Migrator.tables(db) == [])
        #expect(try db.query("SELECT id FROM schema_migrations").isEmpty)
    }
}
