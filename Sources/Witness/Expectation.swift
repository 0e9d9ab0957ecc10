import HTTPServer
import SandboxCore

/// What `POST /_sandbox/verify` is asked: which requests (or deliveries) count, and how many
/// of them must there be.
struct Expectation: Sendable {
    enum Kind: String, Sendable { case requests, deliveries }

    enum Quantity: Sendable, Equatable {
        case exactly(Int), atLeast(Int), atMost(Int)

        func holds(_ count: Int) -> Bool {
            switch self {
            case .exactly(let n): return count == n
            case .atLeast(let n): return count >= n
            case .atMost(let n): return count <= n
            }
        }

        var json: JSON {
            switch self {
            case .exactly(let n): return ["count": .int(n)]
            case .atLeast(let n): return ["at_least": .int(n)]
            case .atMost(0): return ["never": true]
            case .atMost(let n): return ["at_most": .int(n)]
            }
        }
    }

    var kind = Kind.requests
    var provider = ""
    var account: Int?
    var route: String?
    var status: StatusMatch?
    var payment: String?
    /// Dotted paths (`body.ref`, `headers.Authorization`, `payload.status`) and the values they must have.
    var conditions: [(String, JSON)] = []
    /// Requests at or after this time (sandbox clock, ms), or after this journal (delivery) id.
    var sinceTime: Int64?
    var sinceID: Int64?
    /// Deliveries: one of whose attempts was answered with this status (class).
    var answered: StatusMatch?
    var state: String?
    var deliveryKind: String?
    var quantity = Quantity.atLeast(1)
    var waitMilliseconds = 0

    static let maxWait = 30_000

    /// From the request's JSON; a `ControlPlaneError.badRequest` names the field that is wrong.
    init(_ body: JSON, providers: [String], routes: (String) -> [String]) throws(ControlPlaneError) {
        func fail(_ message: String) -> ControlPlaneError { .badRequest(message) }
        let known: Set<String> = [
            "kind", "provider", "account", "route", "status", "payment", "where", "since", "count", "at_least",
            "at_most", "never", "wait_ms", "answered", "state", "delivery_kind",
        ]
        if let unknown = body.objectValue?.first(where: { !known.contains($0.0) }) {
            throw fail("unknown field '\(unknown.0)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        if let value = body["kind"] {
            guard let text = value.stringValue, let kind = Kind(rawValue: text) else {
                throw fail("kind must be \"requests\" or \"deliveries\"")
            }
            self.kind = kind
        }
        guard let provider = body["provider"]?.stringValue else {
            throw fail("provider is required (one of \(providers.joined(separator: ", ")))")
        }
        guard providers.contains(provider) else {
            throw fail("provider '\(provider)' is not one of \(providers.joined(separator: ", "))")
        }
        self.provider = provider
        if let value = body["account"], !value.isNull {
            guard let n = value.intValue, n >= 1 else { throw fail("account must be an account number (1, 2, …)") }
            account = n
        }
        if let value = body["route"], !value.isNull {
            guard kind == .requests else { throw fail("route is for requests (kind \"requests\")") }
            guard let text = value.stringValue else {
                throw fail("route must be a string like \"POST /api/v1/create_transaction\"")
            }
            let wanted = routeKey(text)
            guard wanted != nil, let route = routes(provider).first(where: { routeKey($0) == wanted }) else {
                throw fail("route '\(text)': \(provider) has no such route (its routes: "
                    + routes(provider).joined(separator: ", ") + ")")
            }
            self.route = route
        }
        if let value = body["status"], !value.isNull {
            guard kind == .requests else { throw fail("status is for requests; deliveries take answered") }
            guard let status = StatusMatch(value) else {
                throw fail("status must be a status code (404) or a class (\"2xx\", \"4xx\", \"5xx\")")
            }
            self.status = status
        }
        if let value = body["payment"], !value.isNull {
            switch value {
            case .string(let text) where !text.isEmpty: payment = text
            case .number(let text): payment = text
            default: throw fail("payment must be the provider's payment id (a string or a number)")
            }
        }
        if let value = body["where"], !value.isNull {
            guard let members = value.objectValue else {
                throw fail("where must be an object of dotted paths and values: {\"body.ref\": 125}")
            }
            // One set for both kinds (a delivery has only its payload: other paths are null there).
            let roots: Set<String> = ["body", "query", "headers", "response", "payload"]
            let alone: Set<String> = ["status", "method", "route", "payment", "payload"]
            for (path, _) in members {
                let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                let valid = parts.count == 1 ? alone.contains(path) : roots.contains(parts[0]) && !parts.contains("")
                guard valid else {
                    throw fail("where: '\(path)' must be one of \(alone.sorted().joined(separator: ", ")) or a "
                        + "dotted path below \(roots.sorted().joined(separator: ", ")) (body.ref)")
                }
            }
            conditions = members
        }
        if let value = body["since"], !value.isNull {
            if let id = value.intValue, id >= 0 {
                sinceID = Int64(id)
            } else if let text = value.stringValue, let time = Timestamp.parseISO8601(text) {
                sinceTime = time
            } else {
                throw fail("since must be a journal id (a whole number) or a time (2026-01-01T00:00:00Z)")
            }
        }
        if let value = body["answered"], !value.isNull {
            guard kind == .deliveries else { throw fail("answered is for deliveries (kind \"deliveries\")") }
            guard let status = StatusMatch(value) else {
                throw fail("answered must be a status code (200) or a class (\"2xx\", \"5xx\")")
            }
            answered = status
        }
        if let value = body["state"], !value.isNull {
            guard kind == .deliveries, let text = value.stringValue, ["pending", "delivered", "failed"].contains(text)
            else { throw fail("state is for deliveries: pending, delivered or failed") }
            state = text
        }
        if let value = body["delivery_kind"], !value.isNull {
            guard kind == .deliveries, let text = value.stringValue else {
                throw fail("delivery_kind is for deliveries: callback, webhook or postback")
            }
            deliveryKind = text
        }
        quantity = try Self.quantity(body)
        if let value = body["wait_ms"], !value.isNull {
            guard let n = value.intValue, (0...Self.maxWait).contains(n) else {
                throw fail("wait_ms must be a whole number of milliseconds from 0 to \(Self.maxWait)")
            }
            waitMilliseconds = n
        }
    }

    private static func quantity(_ body: JSON) throws(ControlPlaneError) -> Quantity {
        var given: [Quantity] = []
        for (field, make) in [("count", Quantity.exactly), ("at_least", Quantity.atLeast), ("at_most", Quantity.atMost)]
        where body[field] != nil && body[field] != .null {
            guard let n = body[field]?.intValue, n >= 0 else {
                throw .badRequest("\(field) must be a whole number, 0 or more")
            }
            given.append(make(n))
        }
        if let never = body["never"], !never.isNull {
            guard never == .bool(true) else { throw .badRequest("never must be true (or left out)") }
            given.append(.atMost(0))
        }
        guard given.count <= 1 else {
            throw .badRequest("give one expectation of count, at_least, at_most and never")
        }
        return given.first ?? .atLeast(1)
    }

    /// What was asked, as the answer repeats it.
    var json: JSON {
        var fields: [(String, JSON)] = [("kind", .string(kind.rawValue)), ("provider", .string(provider))]
        if let account { fields.append(("account", .int(account))) }
        if let route { fields.append(("route", .string(route))) }
        if let status { fields.append(("status", .string(status.text))) }
        if let payment { fields.append(("payment", .string(payment))) }
        if !conditions.isEmpty { fields.append(("where", .object(conditions))) }
        if let answered { fields.append(("answered", .string(answered.text))) }
        if let state { fields.append(("state", .string(state))) }
        if let deliveryKind { fields.append(("delivery_kind", .string(deliveryKind))) }
        return .object(fields + (quantity.json.objectValue ?? []))
    }
}

/// Whether a value found at a path is the one expected: equal JSON, or equal text where one
/// side is a form's string and the other a JSON number or boolean.
func matches(_ expected: JSON, _ actual: JSON?) -> Bool {
    guard let actual else { return expected.isNull }
    if expected == actual { return true }
    switch (expected, actual) {
    case (.array, _), (.object, _), (_, .array), (_, .object): return false
    default: return expected.scalarText != nil && expected.scalarText == actual.scalarText
    }
}
