import Glibc
import HTTPServer
import SQLiteStore
import Locks

/// Every provider request with its answer, attributed to its account, documented route and
/// payment, kept in the store (`journal`): what `/_sandbox/requests` lists and what the
/// witness (verification, the readiness report) reads. The request path only appends to a
/// buffer; a background flush attributes and writes it (every 100 ms, and before any read),
/// so a request pays one lock. A kill loses at most the unflushed tenth of a second.
public final class RequestJournal: Sendable {
    struct Pending: Sendable {
        let at: Int64
        let wall: Int64
        let provider: String
        let request: HTTPRequest
        let status: Int
        let responseHeaders: HTTPHeaders
        let responseBody: [UInt8]
        let durationMicros: Int
        let fault: FaultMark?
    }

    /// How many requests `/_sandbox/requests` lists at most (`--journal-size`).
    public let capacity: Int
    /// Requests kept per account (older ones go), whatever `capacity` says.
    public static let keptPerAccount = 10_000
    static let bodyLimit = 16 * 1024
    /// Requests buffered at most before the flush takes them; past it new ones are dropped
    /// (counted), so that a flush that cannot keep up costs no memory without bound.
    static let pendingLimit = 20_000

    private let pending = Locked<[Pending]>([])
    private let dropped = Locked(0)
    /// Held by a flush and by `clear`: a flush never writes old requests after a reset.
    private let flushing = Lock()
    private let store: Store
    private let attributor: Attributor
    private let started = Locked(false)
    private let stopped = Locked(false)
    /// The last id given (nil: read it from the store at the next flush).
    private let nextID = Locked<Int64?>(nil)
    /// What the flushes counted: `/_sandbox/metrics`.
    let metrics = RequestMetrics()

    init(capacity: Int, store: Store, attributor: Attributor) {
        self.capacity = max(0, capacity)
        self.store = store
        self.attributor = attributor
    }

    deinit { stopped.withLock { $0 = true } }

    /// Starts the background flush: a thread of its own, at a lower priority than the event
    /// loops, so that under a load that takes every core the requests come first (the buffer
    /// then grows, up to `pendingLimit`).
    func start(interval: Duration = .milliseconds(100)) {
        guard !started.withLock({ let was = $0; $0 = true; return was }) else { return }
        let micros = useconds_t(
            interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
        try? spawnThread { [weak self] in
            // Linux: the nice value is the thread's own, and 0 names the calling thread.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            while true {
                usleep(micros)
                guard let journal = self, !journal.stopped.withLock({ $0 }) else { return }
                try? journal.flush(isReading: false)
            }
        }
    }

    /// On the request path: one append under a lock.
    func record(provider: String, request: HTTPRequest, response: HTTPResponse, duration: Duration, at: Int64) {
        let micros = Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        let entry = Pending(
            at: at, wall: SandboxClock.systemMilliseconds(), provider: provider, request: request,
            status: response.status, responseHeaders: response.headers, responseBody: response.body,
            durationMicros: micros, fault: response.faultMark)
        let kept = pending.withLock { pending -> Bool in
            guard pending.count < Self.pendingLimit else { return false }
            pending.append(entry)
            return true
        }
        if !kept { dropped.withLock { $0 += 1 } }
    }

    /// Writes what is buffered, attributed: per account, one row of its requests (`JournalCoding`),
    /// all in one transaction; accounts past `keptPerAccount` lose their oldest rows. Called by its
    /// thread and before every read.
    public func flush() throws { try flush(isReading: true) }

    private func flush(isReading: Bool) throws {
        flushing.lock()
        defer { flushing.unlock() }
        let batch = pending.withLock { pending -> [Pending] in
            defer { pending = [] }
            return pending
        }
        guard !batch.isEmpty else { return }
        var next = try nextID.withLock { next in
            if let next { return next }
            return try store.read { db in try db.queryOne("SELECT COALESCE(MAX(last), 0) FROM journal")?[0].int64 ?? 0 }
        }
        // Encoded here, on this thread, so that the writer only inserts a few rows. A flush
        // holds a few accounts' requests: groups are found by a look along a short list.
        struct Group { let provider: String; let account: Int?; let first: Int64; var last: Int64; var count = 0
            var bytes: [UInt8] = [] }
        var rows: [Group] = []
        var counted: [(key: RequestMetrics.Key, micros: Int)] = []
        counted.reserveCapacity(batch.count)
        var current = 0
        for (index, entry) in batch.enumerated() {
            // Its thread runs at the lowest priority, and a woken event loop waits for the end of
            // the running slice: it steps aside every few requests.
            if index % 32 == 31 && !isReading { sched_yield() }
            next += 1
            let who = attributor.attribute(entry)
            counted.append((RequestMetrics.Key(provider: entry.provider, route: who.route, status: entry.status),
                            entry.durationMicros))
            let belongs = { (group: Group) in group.provider == entry.provider && group.account == who.account }
            if current >= rows.count || !belongs(rows[current]) {
                current = rows.firstIndex(where: belongs) ?? rows.count
                if current == rows.count {
                    rows.append(Group(provider: entry.provider, account: who.account, first: next, last: next))
                }
            }
            rows[current].last = next
            rows[current].count += 1
            JournalCoding.encode(next, entry, who, into: &rows[current].bytes)
        }
        metrics.count(counted)
        try store.write { db in
            for group in rows {
                try db.run("""
                    INSERT INTO journal (provider, account, first, last, count, entries) VALUES (?, ?, ?, ?, ?, ?)
                    """, [group.provider, group.account, group.first, group.last, group.count,
                          SQLValue.blob(group.bytes)])
                if let account = group.account { try Self.trim(db, provider: group.provider, account: account) }
            }
        }
        nextID.withLock { $0 = next }
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

    /// Forgets what is buffered (a reset or restore replaced the table's contents).
    func clear() {
        flushing.lock()
        defer { flushing.unlock() }
        pending.withLock { $0 = [] }
        nextID.withLock { $0 = nil }
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
        let order = filter.ascending ? "ASC" : "DESC"
        let needle = filter.mentioning.map { Array($0.utf8) }
        var found: [Call] = []
        // A row at a time, so a short list decodes only the newest rows.
        var offset = 0
        while found.count < filter.limit {
            let rows = try store.read { db in
                try db.query(
                    "SELECT provider, entries FROM journal \(conditions.sql) ORDER BY last \(order) LIMIT 64 OFFSET ?",
                             conditions.arguments + [offset])
            }
            guard !rows.isEmpty else { break }
            offset += rows.count
            for row in rows {
                var calls = JournalCoding.decode(row["entries"].bytes, provider: row["provider"].string ?? "")
                if !filter.ascending { calls.reverse() }
                for call in calls where filter.matches(call, needle) {
                    found.append(call)
                    if found.count == filter.limit { break }
                }
                if found.count == filter.limit { break }
            }
        }
        // Rows of several accounts interleave: the order is the ids'.
        return found.sorted { filter.ascending ? $0.id < $1.id : $0.id > $1.id }
    }

    /// What `/_sandbox/requests` lists.
    func list(_ filter: Filter) throws -> [JSON] { try calls(filter).map(\.json) }
}

/// Who a request was for: its account, its documented route, its payment.
struct Attribution: Sendable {
    var account: Int?
    var route: String?
    var payment: String?
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

    public func contains(_ status: Int) -> Bool { (lowest...highest).contains(status) }

    public var text: String { lowest == highest ? String(lowest) : "\(lowest / 100)xx" }
}
