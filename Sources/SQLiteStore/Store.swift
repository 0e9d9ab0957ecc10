import Synchronization

/// The shared store: one SQLite connection behind a mutex, so every read and write is
/// serialized.
///
/// `@unchecked Sendable`: `database` is a non-Sendable connection that is only ever
/// touched inside `lock.withLock`, so no two threads use it at once.
public final class Store: @unchecked Sendable {
    private let lock = Mutex(())
    private let database: Database
    public let path: String

    public init(path: String) throws {
        database = try Database(path: path)
        self.path = path
    }

    /// Runs `body` with the connection, outside a transaction (reads, single statements).
    @discardableResult
    public func read<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        try lock.withLock { _ in try body(database) }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it lands or none.
    @discardableResult
    public func write<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        try lock.withLock { _ in try database.transaction(body) }
    }
}
