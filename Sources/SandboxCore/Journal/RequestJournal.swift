import Dispatch
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
    /// Requests buffered at most before the flush takes them; past it the oldest are dropped
    /// (counted), so that a flush that cannot keep up costs no memory without bound.
    static let pendingLimit = 100_000

    private let pending = Locked<[Pending]>([])
    private let dropped = Locked(0)
    /// Held by a flush and by `clear`: a flush never writes old requests after a reset.
    private let flushing = Lock()
    private let store: Store
    private let attribute: @Sendable (Pending) -> Attribution
    private let queue = DispatchQueue(label: "paysandbox.journal")
    /// Dispatch sources are thread-safe; the type is just not marked Sendable on Linux.
    nonisolated(unsafe) private let timer: DispatchSourceTimer
    private let started = Locked(false)

    init(capacity: Int, store: Store, attribute: @escaping @Sendable (Pending) -> Attribution) {
        self.capacity = max(0, capacity)
        self.store = store
        self.attribute = attribute
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    deinit {
        timer.cancel()
        if !started.withLock({ $0 }) { timer.resume() }
    }

    /// Starts the background flush.
    func start(interval: DispatchTimeInterval = .milliseconds(100)) {
        guard !started.withLock({ let was = $0; $0 = true; return was }) else { return }
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(20))
        timer.setEventHandler { @Sendable [weak self] in try? self?.flush() }
        timer.resume()
    }

    /// On the request path: one append under a lock.
    func record(provider: String, request: HTTPRequest, response: HTTPResponse, duration: Duration, at: Int64) {
        let micros = Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        let entry = Pending(
            at: at, wall: SandboxClock.systemMilliseconds(), provider: provider, request: request,
            status: response.status, responseHeaders: response.headers, responseBody: response.body,
            durationMicros: micros, fault: response.faultMark)
        let overflow = pending.withLock { pending -> Pending? in
            pending.append(entry)
            return pending.count > Self.pendingLimit ? pending.removeFirst() : nil
        }
        if overflow != nil { dropped.withLock { $0 += 1 } }
    }

    /// Writes what is buffered, attributed, in one transaction; trims accounts past
    /// `keptPerAccount`. Called by the timer and before every read.
    public func flush() throws {
        flushing.lock()
        defer { flushing.unlock() }
        let batch = pending.withLock { pending -> [Pending] in
            defer { pending = [] }
            return pending
        }
        guard !batch.isEmpty else { return }
        let rows = batch.map { ($0, attribute($0)) }
        try store.write { db in
            var touched: [String: Set<Int>] = [:]
            for (entry, who) in rows {
                try Self.insert(db, entry, who)
                if let account = who.account { touched[entry.provider, default: []].insert(account) }
            }
            for (provider, accounts) in touched {
                for account in accounts { try Self.trim(db, provider: provider, account: account) }
            }
        }
    }

    private static func insert(_ db: Database, _ e: Pending, _ who: Attribution) throws {
        let r = e.request
        try db.run("""
            INSERT INTO journal (provider, account, route, payment, method, target, path, mount, headers, body,
                status, response_headers, response_body, duration_us, fault, fault_rule, at, wall)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                e.provider, who.account, who.route, who.payment, r.method, r.target, r.path, r.mountPrefix,
                headerText(r.headers), SQLValue.blob(bounded(r.body)), e.status, headerText(e.responseHeaders),
                SQLValue.blob(bounded(e.responseBody)), e.durationMicros, e.fault?.kind, e.fault?.rule, e.at, e.wall,
            ])
    }

    private static func trim(_ db: Database, provider: String, account: Int) throws {
        try db.run("""
            DELETE FROM journal WHERE provider = ? AND account = ? AND id < (
                SELECT id FROM journal WHERE provider = ? AND account = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
            """, [provider, account, provider, account, keptPerAccount - 1])
    }

    /// The body itself when small enough, else its first 16 KiB.
    private static func bounded(_ body: [UInt8]) -> [UInt8] {
        body.count <= bodyLimit ? body : Array(body.prefix(bodyLimit))
    }

    static func headerText(_ headers: HTTPHeaders) -> String {
        JSON.array(headers.map { .array([.string($0.name), .string($0.value)]) }).serialized()
    }

    /// Forgets what is buffered (a reset or restore replaced the table's contents).
    func clear() {
        flushing.lock()
        defer { flushing.unlock() }
        pending.withLock { $0 = [] }
    }

    /// Requests buffered and dropped because the flush could not keep up (since start).
    var droppedCount: Int { dropped.withLock { $0 } }

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
    }

    /// Requests that match, newest first (or oldest first), after a flush.
    public func calls(_ filter: Filter) throws -> [Call] {
        try flush()
        var conditions = Conditions()
        conditions.add("provider = ?", filter.provider)
        conditions.add("account = ?", filter.account)
        conditions.add("route = ?", filter.route)
        conditions.add("payment = ?", filter.payment)
        conditions.add("method = ? COLLATE NOCASE", filter.method)
        if let path = filter.path {
            conditions.add("(instr(path, ?) > 0 OR instr(target, ?) > 0)", [path, path])
        }
        if let status = filter.status {
            conditions.add("status BETWEEN ? AND ?", [status.lowest, status.highest])
        }
        conditions.add("id > ?", filter.afterID)
        conditions.add("at >= ?", filter.since)
        if let text = filter.mentioning {
            conditions.add("(instr(target, ?) > 0 OR instr(body, ?) > 0 OR instr(response_body, ?) > 0)",
                           [text, SQLValue.blob(Array(text.utf8)), SQLValue.blob(Array(text.utf8))])
        }
        let order = filter.ascending ? "ASC" : "DESC"
        return try store.read { db in
            try db.query("SELECT * FROM journal \(conditions.sql) ORDER BY id \(order) LIMIT ?",
                         conditions.arguments + [filter.limit]).map(Call.init(row:))
        }
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
