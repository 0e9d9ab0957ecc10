import HTTPServer
import SQLiteStore
import Synchronization

/// Faults on purpose (`/_sandbox/faults`, the `X-PaySandbox-Fault` header): a provider that
/// answers its own error, answers late, resets the connection, never answers, or carries a
/// request out and loses the answer. Rules live in memory for the check each provider request
/// makes (none: one atomic load) and in the store, so that a restart keeps them.
public final class Faults: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case error, latency, reset, timeout
        case lostResponse = "lost_response"
        // On callbacks and webhooks (`route: "deliveries"`):
        case duplicate, delay, reorder
        case dropFirst = "drop_first"

        var onDeliveries: Bool { self == .duplicate || self == .delay || self == .reorder || self == .dropFirst }
    }

    struct Rule: Sendable {
        let id: Int
        let provider: String
        let account: Int?
        /// "POST /api/v1/create_transaction" as given, and its method and segments (nil:
        /// a `{parameter}`, any segment).
        let route: String?
        let method: String?
        let segments: [String?]?
        let kind: Kind
        let status: Int
        let retryAfter: Int?
        let latencyMs: Int
        /// `delay`'s seconds, `drop_first`'s attempts.
        let amount: Int
        let probability: Double
        let count: Int?
        let seed: UInt64
        let createdAt: String
        var fired = 0
        var random: SplitMix64

        var expired: Bool { count.map { fired >= $0 } ?? false }

        var json: JSON {
            var fields: [(String, JSON)] = [("id", .int(id)), ("provider", .string(provider)),
                                            ("account", account.map(JSON.int) ?? .null),
                ("route", route.map(JSON.string) ?? .null), ("fault", .string(kind.rawValue)),
            ]
            switch kind {
            case .error:
                fields.append(("status", .int(status)))
                fields.append(("retry_after", retryAfter.map(JSON.int) ?? .null))
            case .latency: fields.append(("latency_ms", .int(latencyMs)))
            case .delay: fields.append(("seconds", .int(amount)))
            case .dropFirst: fields.append(("attempts", .int(amount)))
            default: break
            }
            fields += [("probability", .number(String(probability))), ("count", count.map(JSON.int) ?? .null),
                       ("seed", .number(String(seed))), ("fired", .int(fired)), ("expired", .bool(expired)),
                       ("created_at", .string(createdAt))]
            return .object(fields)
        }
    }

    private let rules = Mutex<[Rule]>([])
    private let empty = Atomic<Bool>(true)
    private let firedCounts = Mutex<[FiredKey: Int]>([:])
    private let store: Store
    private let seed: UInt64?

    init(store: Store, seed: UInt64?) {
        self.store = store
        self.seed = seed
    }


    // MARK: the check

    /// What a request of `provider` meets: the header's fault first, then the first live rule
    /// that matches and fires (its own seeded draw). `account` is asked only when a rule
    /// names one. `error` builds the provider's own error answer.
    func plan(for request: HTTPRequest, provider: String, account: () -> Int?,
              error: (Int, String) -> HTTPResponse) -> FaultPlan? {
        if let header = request.headers["X-PaySandbox-Fault"] {  // (a scan of a few header names)
            do {
                let rule = try Faults.parse(header: header)
                return Faults.plan(
                    rule.kind, status: rule.status, retryAfter: rule.retryAfter, latencyMs: rule.latencyMs,
                                   mark: FaultMark(rule: nil, kind: rule.kind.rawValue), error: error)
            } catch let problem {
                return .instead(error(400, problem.description))
            }
        }
        guard !empty.load(ordering: .relaxed) else { return nil }
        let segments = Faults.relativeSegments(request)
        var caller: Int??
        let fired: Rule? = rules.withLock { rules in
            for index in rules.indices where rules[index].provider == provider && !rules[index].expired
                && !rules[index].kind.onDeliveries {
                let rule = rules[index]
                if let method = rule.method, method != request.method && !(method == "GET" && request.method == "HEAD")
                {
                    continue
                }
                if let pattern = rule.segments {
                    guard pattern.count == segments.count, zip(pattern, segments).allSatisfy({ $0 == nil || $0 == $1 })
                    else { continue }
                }
                if let wanted = rule.account {
                    if caller == nil { caller = .some(account()) }
                    guard caller == .some(wanted) else { continue }
                }
                let draw = Double(rules[index].random.next() >> 11) / Double(1 << 53)
                guard draw < rule.probability else { continue }
                rules[index].fired += 1
                return rules[index]
            }
            return nil
        }
        guard let fired else { return nil }
        countFired(provider, fired.kind.rawValue)
        return Faults.plan(fired.kind, status: fired.status, retryAfter: fired.retryAfter, latencyMs: fired.latencyMs,
                           mark: FaultMark(rule: fired.id, kind: fired.kind.rawValue), error: error)
    }

    /// What a delivery of `provider` for `account` meets, decided once, before its first
    /// attempt: the first live delivery rule that matches and draws a hit.
    func deliveryFault(provider: String, account: Int) -> DeliveryFault? {
        guard !empty.load(ordering: .relaxed) else { return nil }
        return rules.withLock { rules -> DeliveryFault? in
            for index in rules.indices
            where rules[index].provider == provider && !rules[index].expired && rules[index].kind.onDeliveries {
                if let wanted = rules[index].account, wanted != account { continue }
                let draw = Double(rules[index].random.next() >> 11) / Double(1 << 53)
                guard draw < rules[index].probability else { continue }
                rules[index].fired += 1
                return DeliveryFault(rule: rules[index].id, kind: rules[index].kind, amount: rules[index].amount)
            }
            return nil
        }.map { fault in
            countFired(provider, fault.kind.rawValue)
            return fault
        }
    }

    /// Faults fired since start, by provider and kind (removing a rule keeps its count here).
    public var firedTotals: [FiredKey: Int] { firedCounts.withLock { $0 } }

    public struct FiredKey: Hashable, Sendable {
        public let provider: String
        public let kind: String
    }

    private func countFired(_ provider: String, _ kind: String) {
        firedCounts.withLock { $0[FiredKey(provider: provider, kind: kind), default: 0] += 1 }
    }

    private static func plan(_ kind: Kind, status: Int, retryAfter: Int?, latencyMs: Int, mark: FaultMark,
                             error: (Int, String) -> HTTPResponse) -> FaultPlan {
        switch kind {
        case .error:
            var response = error(status, HTTPResponse.reasonPhrase(status))
            if let retryAfter { response.headers.set("Retry-After", String(retryAfter)) }
            response.faultMark = mark
            return .instead(response)
        case .reset, .timeout:
            var response = HTTPResponse(status: 0)
            response.fault = kind == .reset ? .reset : .hang
            response.faultMark = mark
            return .instead(response)
        case .duplicate, .delay, .reorder, .dropFirst:
            return .amend { _ in }  // never: delivery rules are not asked about requests
        case .latency, .lostResponse:
            let fault: ConnectionFault = kind == .latency ? .delay(.milliseconds(latencyMs)) : .close
            return .amend { response in
                response.fault = fault
                response.faultMark = mark
            }
        }
    }

    /// The request's path below its provider's mount, decoded, as routes see it.
    static func relativeSegments(_ request: HTTPRequest) -> [String] {
        let split = { (path: String) in
            path.split(separator: "/").map { PercentDecoding.decode($0, plusAsSpace: false) }
        }
        return Array(split(request.path).dropFirst(split(request.mountPrefix).count))
    }

    // MARK: rules

    /// Loads the stored rules (at start).
    func load() throws {
        let stored = try store.read { db in try db.query("SELECT id, rule, created_at FROM fault_rules ORDER BY id") }
        var loaded: [Rule] = []
        for row in stored {
            guard let text = row["rule"].string, let json = try? JSON.parse(text) else { continue }
            if let rule = try? Faults.rule(json, id: row["id"].int ?? 0, createdAt: row["created_at"].string ?? "",
                                           routes: nil, defaultSeed: seed) {
                loaded.append(rule)
            }
        }
        replace(loaded)
    }

    /// Checks `body` (400 naming the field), stores it and starts it. `routes`: the
    /// provider's route table ("POST /api/v1/:id").
    func add(_ body: JSON, routes: @escaping (String) -> [String]?, now: String) throws -> JSON {
        _ = try Faults.rule(body, id: 0, createdAt: now, routes: routes, defaultSeed: seed)
        let id = try store.write { db -> Int in
            try db.run("INSERT INTO fault_rules (rule, created_at) VALUES (?, ?)", [body.serialized(), now])
            return Int(db.lastInsertRowID)
        }
        let rule = try Faults.rule(body, id: id, createdAt: now, routes: routes, defaultSeed: seed)
        rules.withLock { $0.append(rule) }
        empty.store(false, ordering: .relaxed)
        return rule.json
    }

    func list() -> [JSON] { rules.withLock { $0.map(\.json) } }

    /// Removes one rule (false: unknown) or, with nil, all of them.
    @discardableResult
    func remove(_ id: Int?) throws -> Bool {
        let removed = try store.write { db in
            try id.map { try db.run("DELETE FROM fault_rules WHERE id = ?", [$0]) } ?? db.run("DELETE FROM fault_rules")
        }
        let left = rules.withLock { rules -> [Rule] in
            rules.removeAll { id == nil || $0.id == id }
            return rules
        }
        empty.store(left.isEmpty, ordering: .relaxed)
        return id == nil || removed > 0
    }

    /// After a reset (which emptied the table).
    func clear() { replace([]) }

    private func replace(_ new: [Rule]) {
        rules.withLock { $0 = new }
        empty.store(new.isEmpty, ordering: .relaxed)
    }
}

/// A delivery's fault, as decided before its first attempt and kept with it.
struct DeliveryFault: Sendable, Equatable {
    let rule: Int
    let kind: Faults.Kind
    let amount: Int

    /// Stored in `deliveries.fault`: `3 duplicate 0`.
    var text: String { "\(rule) \(kind.rawValue) \(amount)" }

    init(rule: Int, kind: Faults.Kind, amount: Int) {
        self.rule = rule
        self.kind = kind
        self.amount = amount
    }

    init?(text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 3, let rule = Int(parts[0]), let kind = Faults.Kind(rawValue: String(parts[1])),
              let amount = Int(parts[2]) else { return nil }
        self.init(rule: rule, kind: kind, amount: amount)
    }

    var json: JSON { ["id": .int(rule), "kind": .string(kind.rawValue)] }
}

public struct FaultError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
