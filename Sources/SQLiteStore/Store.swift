import Dispatch

/// The shared store. Writes go through one connection, serialized, each in a
/// `BEGIN IMMEDIATE` transaction. Reads of a file database use a small pool of their own
/// connections, which WAL lets run beside the writer; an in-memory database has one
/// connection for both. Checkpoints run on a background timer, so no request waits for
/// the fsync a checkpoint does.
///
/// `@unchecked Sendable`: `writer` is only touched under `writeLock`, `idleReaders` only
/// under `readLock`, and a reader taken from the pool is used by one thread at a time.
public final class Store: @unchecked Sendable {
    public let path: String
    private let writeLock = Lock()
    private let writer: Database
    private let readLock = Lock()
    private var idleReaders: [Database] = []
    private let checkpointer: DispatchSourceTimer?

    public init(path: String) throws {
        self.path = path
        writer = try Database(path: path)
        if writer.isInMemory {
            checkpointer = nil
        } else {
            try writer.execute("PRAGMA wal_autocheckpoint=0")
            let checkpointConnection = Checkpointer(try Database(path: path))
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "paysandbox.checkpoint"))
            timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500), leeway: .milliseconds(100))
            timer.setEventHandler { @Sendable in checkpointConnection.run() }
            timer.resume()
            checkpointer = timer
        }
    }

    deinit {
        checkpointer?.cancel()
    }

    /// Runs `body` with a connection, outside a transaction (reads, single statements).
    @discardableResult
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        if writer.isInMemory { return try writeLock.withLock { try body(writer) } }
        let reader = try readLock.withLock { idleReaders.popLast() } ?? Database(path: path, queryOnly: true)
        defer { readLock.withLock { idleReaders.append(reader) } }
        return try body(reader)
    }

    /// Applies the migrations not yet applied, on the writer.
    @discardableResult
    public func migrate(_ migrations: [Migration]) throws -> [String] {
        try writeLock.withLock { try Migrator.migrate(writer, migrations) }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it lands or none.
    @discardableResult
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writeLock.withLock { try writer.transaction(body) }
    }
}

/// The connection the checkpoint timer uses, on its serial queue only.
///
/// `@unchecked Sendable`: used from one serial Dispatch queue.
private final class Checkpointer: @unchecked Sendable {
    let database: Database

    init(_ database: Database) { self.database = database }

    func run() {
        _ = try? database.query("PRAGMA wal_checkpoint(PASSIVE)")
    }
}
