import Dispatch
import Synchronization
import Locks

/// A blocking `write` on a thread that must not block (see `Store.init`).
public struct BlockingWriteError: Error, CustomStringConvertible {
    public var description: String {
        "a blocking write on a thread that must not block (a route that writes awaits its commit: declare it async)"
    }
}

/// The shared store: one writer connection that reads go through as well, and one read-only
/// connection for the reads that arrive while a write batch holds the writer. Writes run in
/// `BEGIN IMMEDIATE` transactions, grouped: writers that arrive together share one
/// transaction and one commit (`GroupCommit`, `runBatch`); a task awaits its write
/// (`write(_:) async`) without holding its thread. One connection serves reads rather than a
/// pool of WAL readers: a reader's snapshot set-up and the pool's bookkeeping cost more than
/// waiting for the lock; the single reader beside the writer spares reads the wait for a
/// write batch (figures: docs/benchmarks.md, "Choices measured").
/// Checkpoints run on a background timer with a connection of their own, so no request
/// waits for the fsync a checkpoint does.
///
/// `@unchecked Sendable`: `writer` is only touched under `writeLock`, `reader` under `readLock`.
public final class Store: @unchecked Sendable {
    public let path: String
    private let writeLock = Lock()
    private let writer: Database
    /// A read-only connection for reads that arrive while a write batch holds the writer
    /// (none for an in-memory store, whose second connection would be another database).
    private let reader: Database?
    private let readLock = Lock()
    private let group = GroupCommit()
    private let commitCount = Atomic<Int>(0)
    private let checkpointer: Checkpointer?
    private let timer: DispatchSourceTimer?

    /// Says whether the calling thread may block on a write; where it may not (an HTTP event
    /// loop), a blocking `write` throws `BlockingWriteError` instead of stalling everything
    /// else the thread serves.
    private let mayBlock: (@Sendable () -> Bool)?

    /// `checkpointEvery`: the background checkpoint's period (nil: none, for tests that run
    /// it themselves with `checkpointInBackground()`). `mayBlock`: see the property. `pageSize`:
    /// the page size of a database it creates (`Database.init(path:pageSize:)`).
    public init(path: String, checkpointEvery interval: DispatchTimeInterval? = .milliseconds(500),
                mayBlock: (@Sendable () -> Bool)? = nil, pageSize: Int? = nil) throws {
        self.path = path
        self.mayBlock = mayBlock
        writer = try Database(path: path, pageSize: pageSize)
        if writer.isInMemory {
            reader = nil
            checkpointer = nil
            timer = nil
        } else {
            let reader = try Database(path: path)
            try reader.execute("PRAGMA query_only=ON")
            self.reader = reader
            try writer.execute("PRAGMA wal_autocheckpoint=0")
            let checkpointer = Checkpointer(try Database(path: path), writeLock: writeLock)
            self.checkpointer = checkpointer
            if let interval {
                let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "paysandbox.checkpoint"))
                timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
                timer.setEventHandler { @Sendable in checkpointer.run() }
                timer.resume()
                self.timer = timer
            } else {
                timer = nil
            }
        }
    }

    /// What the background timer runs: copies the WAL into the database file so that the
    /// next write transaction can start the WAL over (see `Checkpointer`).
    func checkpointInBackground() {
        checkpointer?.run()
    }

    deinit {
        timer?.cancel()
    }

    /// Folds the WAL back into the database file (called at shutdown, after the last
    /// request). The store stays usable; this only makes the file complete on its own.
    public func checkpoint() throws {
        guard !writer.isInMemory else { return }
        try writeLock.withLock { _ = try writer.query("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Runs `body` with a connection, outside a transaction: reads only. It sees every
    /// committed write. While a write batch holds the writer, it runs on the reader beside
    /// it instead of waiting for the commit: a create call's reads (its token, its account's
    /// settings) had each waited out a whole batch before its own write could join one.
    @discardableResult
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        if let reader, !writeLock.tryLock() {
            return try readLock.withLock { try body(reader) }
        }
        if reader == nil { writeLock.lock() }
        defer { writeLock.unlock() }
        return try body(writer)
    }

    public var isInMemory: Bool { writer.isInMemory }

    /// Runs `body` on the writer, alone (no write batch, no read on it meanwhile).
    func withWriter<T>(_ body: (Database) throws -> T) throws -> T {
        try writeLock.withLock { try body(writer) }
    }

    /// Marks a change made outside a write batch (a restore): caches that follow the store drop.
    func bumpCommits() { commitCount.add(1, ordering: .releasing) }

    /// How many write transactions this store has ended (committed or not): it changes
    /// after each one and before its writers return, so a value read from the store while it
    /// stayed the same is still current (what `StoreCache` checks). Writes made by other
    /// processes (a `sqlite3` shell) do not count.
    public var commits: Int { commitCount.load(ordering: .acquiring) }

    /// Applies the migrations not yet applied, on the writer.
    @discardableResult
    public func migrate(_ migrations: [Migration]) throws -> [String] {
        defer { commitCount.add(1, ordering: .releasing) }
        return try writeLock.withLock { try Migrator.migrate(writer, migrations) }
    }

    /// Runs `body` in a transaction: all of it lands or none, and it has landed when this
    /// returns. Concurrent writers share one commit; one that throws leaves the others' work
    /// standing (see `runBatch`).
    @discardableResult
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        if let mayBlock, !mayBlock() { throw BlockingWriteError() }
        var value: T?
        let request = withoutActuallyEscaping(body) { body -> GroupCommit.Request in
            let request = GroupCommit.Request { db in value = try body(db) }
            group.submit(request) { [self] batch in runBatch(batch) }
            return request
        }
        return try request.outcome(value)
    }

    /// `write` for a task: suspends instead of blocking its thread, and is resumed once its
    /// work has committed (or failed to). The same batches as the blocking `write`.
    @discardableResult
    public func write<T>(_ body: (Database) throws -> T) async throws -> T {
        let outcome = WriteOutcome<T>()
        await withoutActuallyEscaping(body) { body in
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let request = GroupCommit.Request(
                    { db in outcome.value = try body(db) }, resume: { continuation.resume() })
                outcome.request = request
                group.submit(resumed: request) { [self] batch in runBatch(batch) }
            }
        }
        guard let request = outcome.request else { throw SQLiteError(code: 1, message: "write was not run", sql: nil) }
        return try request.outcome(outcome.value)
    }

    /// One transaction for the batch. Its pieces first run one after the other with no
    /// savepoint; only if one throws is the transaction rolled back and run again with a
    /// savepoint per piece, so that the one that threw is undone alone. (A savepoint per
    /// piece, every time, costs the SAVEPOINT and RELEASE and a copy of every page a piece
    /// touched that the batch had already changed.) A lone piece
    /// that throws is simply rolled back.
    private func runBatch(_ batch: [GroupCommit.Request]) {
        defer { commitCount.add(1, ordering: .releasing) }
        let committed = writeLock.withLock { () -> [@Sendable () -> Void] in
            defer {
                for request in batch { request.work = nil }
                writer.committed = []
            }
            guard begin(batch) else { return [] }
            if !run(batch, savepoints: false) {
                _ = try? writer.run("ROLLBACK")
                writer.committed = []
                guard batch.count > 1, begin(batch) else { return [] }
                _ = run(batch, savepoints: true)
            }
            do {
                try writer.run("COMMIT")
                return writer.committed
            } catch {
                _ = try? writer.run("ROLLBACK")
                for request in batch { request.failure = error }
                return []
            }
        }
        for action in committed { action() }
    }

    /// BEGIN IMMEDIATE; false (every piece failed with its error) when it fails.
    private func begin(_ batch: [GroupCommit.Request]) -> Bool {
        do {
            try writer.run("BEGIN IMMEDIATE")
            return true
        } catch {
            for request in batch { request.failure = error }
            return false
        }
    }

    /// Runs every piece; without savepoints it stops at the first that throws (false).
    private func run(_ batch: [GroupCommit.Request], savepoints: Bool) -> Bool {
        for request in batch {
            request.failure = nil
            do {
                if savepoints {
                    try writer.savepoint { db in try request.work?(db) }
                } else {
                    try request.work?(writer)
                }
            } catch {
                request.failure = error
                if !savepoints { return false }
            }
        }
        return true
    }
}

/// The connection the checkpoint timer uses, on its serial queue only.
///
/// A passive checkpoint alone never lets the WAL start over under a steady write load: by
/// the time it has copied the frames it saw, writers have appended more, and SQLite only
/// rewinds the WAL when every frame is in the database file. The WAL then grew without
/// bound (1 GiB in a minute of POSTs), each new block zeroed and allocated by the file
/// system. So: copy (and fsync) the bulk without the write lock, again while a pass still
/// finds many new frames (those written during the one before), then copy the few left
/// under it; the next write transaction rewinds the WAL and overwrites its blocks from the
/// start. (One pass before the lock had left the frames of a whole pass, thousands at
/// 15,000 creates/s, to be copied and synced while every commit waited: 40 ms stalls.)
///
/// `@unchecked Sendable`: used from one serial Dispatch queue.
private final class Checkpointer: @unchecked Sendable {
    let database: Database
    let writeLock: Lock

    init(_ database: Database, writeLock: Lock) {
        self.database = database
        self.writeLock = writeLock
    }

    func run() {
        var copied = 0
        for pass in 0 ..< 8 {
            // busy, frames in the WAL, frames in the database file
            guard let result = try? database.queryOne("PRAGMA wal_checkpoint(PASSIVE)"), let frames = result[1].int,
                frames > 0
            else { return }
            let before = copied
            copied = result[2].int ?? frames
            if pass > 0 && copied - before < 256 { break }
        }
        writeLock.withLock { _ = try? database.query("PRAGMA wal_checkpoint(PASSIVE)") }
    }
}

/// What an awaited write leaves for its task: written by the batch before the task is
/// resumed, read by the task after (`@unchecked Sendable` on those terms).
private final class WriteOutcome<T>: @unchecked Sendable {
    var value: T?
    var request: GroupCommit.Request?
}
