import Glibc
import HTTPServer
import Locks
import SQLiteStore
import Synchronization

/// Every provider request with its answer, attributed to its account, documented route and
/// payment, kept in the store (`journal`): what `/_sandbox/requests` lists and what the
/// witness (verification, the readiness report) reads. The request path attributes the request
/// (remembered per route and credentials: a lookup), encodes it and appends the bytes to its
/// account's buffer in its thread's lane; a background flush writes the buffers (every 100 ms,
/// and before any read), one row per lane and account. Nothing of the request is kept alive past
/// its answer, and the flush has little to do: it had been a thread of its own that attributed and
/// encoded, preempted by every request on the same cores. Lanes: one buffer and one memory
/// shared by the event loops had every request move their lock, their bytes and the remembered
/// strings' reference counts from one core to the other. A kill loses at most the unflushed
/// tenth of a second.
public final class RequestJournal: Sendable {
    /// What the request path knows of a request beside the request and its answer.
    struct Entry {
        let at: Int64
        let wall: Int64
        let micros: Int
        let who: Attribution
    }

    /// An account's requests since the last flush, encoded (`JournalCoding`): one row.
    private struct Group {
        let provider: String
        let account: Int?
        let first: Int64
        var last: Int64
        var count = 0
        var bytes: [UInt8]
    }

    /// What the next flush writes of one lane.
    private struct Buffer {
        var groups: [Group] = []
        /// The group the last request went to: a burst of one account's calls finds it at once.
        var current = 0
        var counted: [(key: RequestMetrics.Key, micros: Int)] = []
        /// Written groups' bytes, emptied with their room kept: the next groups grow into memory
        /// already touched instead of new pages.
        var spare: [[UInt8]] = []

        var full: Bool { counted.count >= RequestJournal.pendingLimit }

        /// Appends a request to its account's group.
        mutating func append(_ id: Int64, _ entry: Entry, _ provider: String, _ request: HTTPRequest,
                             _ response: HTTPResponse, _ scratch: JournalCoding.Scratch) {
            let who = entry.who
            counted.append((RequestMetrics.Key(provider: provider, route: who.route, status: response.status),
                            entry.micros))
            let belongs = { (group: Group) in group.account == who.account && group.provider == provider }
            if current >= groups.count || !belongs(groups[current]) {
                current = groups.firstIndex(where: belongs) ?? groups.count
                if current == groups.count {
                    groups.append(Group(provider: provider, account: who.account, first: id, last: id,
                                        bytes: spare.popLast() ?? []))
                }
            }
            groups[current].last = id
            groups[current].count += 1
            JournalCoding.encode(id, entry, request, response, scratch: scratch, into: &groups[current].bytes)
        }
    }

    /// The buffer and the attributor's memory of the threads whose `ThreadLane` falls on it: in
    /// practice one event loop's alone (a handler's task runs on its loop too). The lock is
    /// taken by that thread, by the flush once per flush, and by a reset.
    /// `@unchecked Sendable`: `buffer` and `memory` are only reached under `lock`.
    private final class Lane: @unchecked Sendable {
        let lock = Lock()
        var buffer = Buffer()
        var memory = Attributor.Memory()
        let scratch = JournalCoding.Scratch()
    }

    /// How many requests `/_sandbox/requests` lists at most (`--journal-size`).
    public let capacity: Int
    /// Requests kept per account (older ones go), whatever `capacity` says.
    public static let keptPerAccount = 10_000
    static let bodyLimit = 16 * 1024
    /// Requests buffered at most before the flush takes them; past it new ones are dropped
    /// (counted), so that a flush that cannot keep up costs no memory without bound.
    static let pendingLimit = 20_000
    /// Emptied buffers kept for the next flush's groups, per lane.
    static let spares = 4
    /// Lanes: more than a server's event loops on most machines (threads beyond share one).
    static let laneCount = 8

    private let lanes = (0 ..< RequestJournal.laneCount).map { _ in Lane() }
    /// The last id given: an id is taken under its lane's lock, and set under all of them.
    private let lastGiven: Atomic<Int64>
    private let dropped = Locked(0)
    /// Held by a flush and by `clear`: a flush never writes old requests after a reset.
    private let flushing = Lock()
    private let store: Store
    private let attributor: Attributor
    private let started = Locked(false)
    private let stopped = Locked(false)
    /// What the flushes counted: `/_sandbox/metrics`.
    let metrics = RequestMetrics()

    /// `store`: the history's own database (`historyPath`), its table made here.
    init(capacity: Int, store: Store, attributor: Attributor) throws {
        self.capacity = max(0, capacity)
        self.store = store
        self.attributor = attributor
        try store.write { db in try db.execute(Self.schema) }
        lastGiven = Atomic(try store.read { db in try Self.lastStoredID(db) })
    }

    /// The history is a database of its own beside the state's (`<path>-history`; in memory
    /// with an in-memory state): its megabytes a second under load, written into the state's
    /// database, made every payment's transaction slower (SQLite's page cache grows with the
    /// file, and each transaction's end walks it: a create at 32 connections lost a fifth).
    static func historyPath(for path: String, inMemory: Bool) -> String { inMemory ? ":memory:" : path + "-history" }

    /// The history's pages: its rows are blobs of up to megabytes, which SQLite keeps in chains
    /// of overflow pages, walked page by page when the oldest rows go. 64 KiB instead of 4 KiB: a
    /// sixteenth of the pages to write, chain and free (a history made before keeps its size).
    static let pageSize = 65_536

    /// The same table as the state's `journal` (core-008), which only carries the history in
    /// a snapshot (`including(in:)`, `adopt(_:)`).
    static let schema = """
        CREATE TABLE IF NOT EXISTS journal (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider TEXT NOT NULL,
            account INTEGER,
            first INTEGER NOT NULL,
            last INTEGER NOT NULL,
            count INTEGER NOT NULL,
            entries BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS journal_account ON journal (provider, account, last);
        CREATE INDEX IF NOT EXISTS journal_last ON journal (last);
        """
    private static let columns = "provider, account, first, last, count, entries"

    deinit { stopped.withLock { $0 = true } }

    /// Starts the background flush: a thread of its own (at the normal priority: it only inserts
    /// a few rows, and a low one left the buffer's lock with a thread every request preempts).
    func start(interval: Duration = .milliseconds(100)) {
        guard !started.withLock({ let was = $0; $0 = true; return was }) else { return }
        let micros = useconds_t(
            interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
        try? spawnThread { [weak self] in
            while true {
                usleep(micros)
                guard let journal = self, !journal.stopped.withLock({ $0 }) else { return }
                try? journal.flush()
            }
        }
    }

    /// On the request path: attributed, then encoded straight into its account's bytes, in the
    /// calling thread's lane.
    func record(provider: String, request: HTTPRequest, response: HTTPResponse, duration: Duration, at: Int64) {
        let micros = Int(duration / .microseconds(1))
        let wall = SandboxClock.systemMilliseconds()
        let lane = lanes[ThreadLane.current % lanes.count]
        lane.lock.lock()
        defer { lane.lock.unlock() }
        guard !lane.buffer.full else {
            dropped.withLock { $0 += 1 }
            return
        }
        let who = attributor.attribute(provider: provider, request: request, memory: &lane.memory)
        let id = lastGiven.wrappingAdd(1, ordering: .relaxed).newValue
        lane.buffer.append(id, Entry(at: at, wall: wall, micros: micros, who: who), provider, request, response,
                           lane.scratch)
    }

    private static func lastStoredID(_ db: Database) throws -> Int64 {
        try db.queryOne("SELECT COALESCE(MAX(last), 0) FROM journal")?[0].int64 ?? 0
    }

    /// Every lane emptied and forgetting, `change` made to the table, all with every lane held
    /// (nothing is recorded meanwhile); the next id follows the table's. Under `flushing`.
    private func startOver(_ change: () throws -> Void = {}) throws {
        lanes.forEach { $0.lock.lock() }
        defer { lanes.forEach { $0.lock.unlock() } }
        for lane in lanes {
            lane.buffer = Buffer()
            lane.memory = Attributor.Memory()
        }
        try change()
        lastGiven.store(try store.read { db in try Self.lastStoredID(db) }, ordering: .relaxed)
    }

    /// Writes what is buffered: per lane and account, one row of its requests, all in one
    /// transaction; accounts past `keptPerAccount` lose their oldest rows. Called by its thread
    /// and before every read.
    public func flush() throws {
        flushing.lock()
        defer { flushing.unlock() }
        var taken = lanes.map { lane in
            lane.lock.withLock {
                defer {
                    lane.buffer.groups = []
                    lane.buffer.current = 0
                    lane.buffer.counted = []
                }
                return (groups: lane.buffer.groups, counted: lane.buffer.counted)
            }
        }
        guard taken.contains(where: { !$0.groups.isEmpty }) else { return }
        metrics.count(taken.flatMap(\.counted))
        defer {
            for (lane, index) in zip(lanes, taken.indices) where !taken[index].groups.isEmpty {
                // Taken out of their rows first: only a buffer nothing else holds is emptied in place.
                let emptied = taken[index].groups.indices.prefix(Self.spares).map { group in
                    var bytes: [UInt8] = []
                    swap(&bytes, &taken[index].groups[group].bytes)
                    bytes.removeAll(keepingCapacity: true)
                    return bytes
                }
                lane.lock.withLock { lane.buffer.spare = Array((lane.buffer.spare + emptied).prefix(Self.spares)) }
            }
        }
        try store.write { db in
            for group in taken.flatMap(\.groups) {
                try db.run("""
                    INSERT INTO journal (provider, account, first, last, count, entries) VALUES (?, ?, ?, ?, ?, ?)
                    """, [group.provider, group.account, group.first, group.last, group.count,
                          SQLValue.blob(group.bytes)])
                if let account = group.account { try Self.trim(db, provider: group.provider, account: account) }
            }
        }
    }

    /// Removes an account's oldest rows while those left hold `keptPerAccount` requests or more.
    private static func trim(_ db: Database, provider: String, account: Int) throws {
        var kept = 0
        for row in try db.query(
            "SELECT id, count FROM journal WHERE provider = ? AND account = ? ORDER BY last DESC", [provider, account])
        {
            guard kept >= keptPerAccount else {
                kept += row["count"].int ?? 0
                continue
            }
            try db.run("DELETE FROM journal WHERE provider = ? AND account = ? AND id <= ?",
                       [provider, account, row["id"].int64 ?? 0])
            return
        }
    }

    /// A snapshot's bytes (`Store.snapshot()` of the state) with the history in their `journal`
    /// table: a restore brings back the restored moment's history.
    func including(in bytes: [UInt8]) throws -> [UInt8] {
        try flush()
        let rows = try store.read { db in try db.query("SELECT \(Self.columns) FROM journal ORDER BY id") }
        let copy = try Store.open(bytes: bytes)
        try copy.transaction { db in
            try db.execute("DELETE FROM journal")
            for row in rows { try Self.insert(row, db) }
        }
        return try Store.serialize(copy)
    }

    /// Makes the history the one `source` (a state about to be restored) carries, and takes it
    /// out of `source`. `onlyIfAny`: a state written before the history had a database of its
    /// own hands over what it holds; one that holds none leaves the history as it is.
    func adopt(_ source: Database, onlyIfAny: Bool = false) throws {
        let rows = try source.query("SELECT \(Self.columns) FROM journal ORDER BY id")
        if onlyIfAny && rows.isEmpty { return }
        if !rows.isEmpty { try source.run("DELETE FROM journal") }
        try replace(with: rows)
    }

    /// Empties the history (a reset).
    func erase() throws { try replace(with: []) }

    /// The history becomes `rows`; what is buffered goes.
    private func replace(with rows: [Row]) throws {
        flushing.lock()
        defer { flushing.unlock() }
        try startOver {
            try store.write { db in
                try db.run("DELETE FROM journal")
                for row in rows { try Self.insert(row, db) }
            }
        }
    }

    /// The newest request's id (0: none yet).
    public func lastID() throws -> Int64 {
        try flush()
        return try store.read { db in try Self.lastStoredID(db) }
    }

    private static func insert(_ row: Row, _ db: Database) throws {
        try db.run("INSERT INTO journal (\(columns)) VALUES (?, ?, ?, ?, ?, ?)",
                   [row["provider"], row["account"], row["first"], row["last"], row["count"], row["entries"]])
    }

    /// Forgets what is buffered and what attributing remembered (a reset or restore replaced the
    /// table's contents): the next request's id follows the table's.
    func clear() {
        flushing.lock()
        defer { flushing.unlock() }
        try? startOver()
        attributor.forget()
    }

    /// Requests buffered and dropped because the flush could not keep up (since start).
    public var droppedCount: Int { dropped.withLock { $0 } }

    // MARK: reading

    public struct Filter: Sendable {
        public var provider: String?
        public var account: Int?
        public var route: String?
        public var payment: String?
        public var method: String?
        /// Text the path or the target contains.
        public var path: String?
        /// A status (`404`) or a class (`4xx`).
        public var status: StatusMatch?
        /// Requests after this journal id.
        public var afterID: Int64?
        /// Requests at or after this time (ms, sandbox clock).
        public var since: Int64?
        /// Text the target, the request body or the response body contains (a payment id).
        public var mentioning: String?
        public var limit = 100
        /// Oldest first (the witness reads a history forward).
        public var ascending = false

        public init() {}

        func matches(_ call: Call, _ needle: [UInt8]?) -> Bool {
            if let afterID, call.id <= afterID { return false }
            if let since, call.at < since { return false }
            if let route, call.route != route { return false }
            if let payment, call.payment != payment { return false }
            if let method, !call.method.equalsIgnoringASCIICase(method) { return false }
            if let path, !call.path.contains(path) && !call.target.contains(path) { return false }
            if let status, !status.contains(call.status) { return false }
            if let needle, call.target.utf8.firstRange(of: needle) == nil && call.body.firstRange(of: needle) == nil
                && call.responseBody.firstRange(of: needle) == nil { return false }
            return true
        }
    }

    /// Requests that match, newest first (or oldest first), after a flush.
    public func calls(_ filter: Filter) throws -> [Call] {
        try flush()
        var conditions = Conditions()
        conditions.add("provider = ?", filter.provider)
        conditions.add("account = ?", filter.account)
        conditions.add("last > ?", filter.afterID)
        let needle = filter.mentioning.map { Array($0.utf8) }
        let newestFirst = !filter.ascending
        let before = { (a: Call, b: Call) in newestFirst ? a.id > b.id : a.id < b.id }
        var found: [Call] = []
        func keep() {
            found.sort(by: before)
            if found.count > filter.limit { found.removeLast(found.count - filter.limit) }
        }
        // A row at a time, so a short list decodes only the newest (oldest) rows. A row holds a
        // range of ids, and rows of several accounts interleave: read on while a row may still
        // hold one of the `limit` newest (oldest) found so far.
        var offset = 0, done = false
        while !done {
            let rows = try store.read { db in
                try db.query(
                    "SELECT provider, first, last, entries FROM journal \(conditions.sql) "
                        + "ORDER BY \(newestFirst ? "last DESC" : "first ASC") LIMIT 64 OFFSET ?",
                    conditions.arguments + [offset])
            }
            guard !rows.isEmpty else { break }
            offset += rows.count
            for row in rows {
                if found.count >= filter.limit, let bound = found.last?.id,
                   newestFirst ? (row["last"].int64 ?? 0) < bound : (row["first"].int64 ?? 0) > bound {
                    done = true
                    break
                }
                let provider = row["provider"].string ?? ""
                let calls = JournalCoding.decode(row["entries"].bytes, provider: provider) { route, request, answer in
                    attributor.payment(provider: provider, route: route, request: request, responseBody: answer)
                }
                found += calls.filter { filter.matches($0, needle) }
                if found.count >= filter.limit { keep() }
            }
        }
        keep()
        return found
    }

    /// What `/_sandbox/requests` lists.
    func list(_ filter: Filter) throws -> [JSON] { try calls(filter).map(\.json) }
}

/// Who a request was for, as the request path knows it: its account and documented route (its
/// payment is found when the history is read).
struct Attribution: Sendable {
    var account: Int?
    var route: String?
}

/// A status code, or a class of them (`2xx`).
public struct StatusMatch: Sendable, Equatable {
    public let lowest: Int
    public let highest: Int

    /// `404`, `2xx`; nil for anything else.
    public init?(_ text: String) {
        if text.count == 3, text.hasSuffix("xx"), let digit = Int(text.prefix(1)), (1...5).contains(digit) {
            lowest = digit * 100
            highest = digit * 100 + 99
        } else if let code = Int(text), (100...599).contains(code) {
            lowest = code
            highest = code
        } else {
            return nil
        }
    }

    /// The same from JSON: `404`, `404.0`, `"404"`, `"2xx"`.
    public init?(_ value: JSON) {
        guard let text = value.intValue.map(String.init) ?? value.scalarText else { return nil }
        self.init(text)
    }

    public func contains(_ status: Int) -> Bool { (lowest...highest).contains(status) }

    public var text: String { lowest == highest ? String(lowest) : "\(lowest / 100)xx" }
}
