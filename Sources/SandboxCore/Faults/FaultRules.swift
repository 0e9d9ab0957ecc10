import HTTPServer
import SQLiteStore
import Synchronization

/// Fault rules as the control plane and `X-PaySandbox-Fault` write them.
extension Faults {
    struct Parsed {
        var kind: Kind
        var status = 503
        var retryAfter: Int?
        var latencyMs = 0
        var amount = 0
    }

    /// `X-PaySandbox-Fault: error; status=503; retry_after=30`, `latency; latency_ms=1500`,
    /// `reset`, `timeout`, `lost_response`.
    static func parse(header: String) throws(FaultError) -> Parsed {
        var parts = Outcome.splitParameters(header)
        guard !parts.isEmpty else { throw FaultError("X-PaySandbox-Fault is empty") }
        var object: [(String, JSON)] = [("fault", .string(parts.removeFirst().lowercased()))]
        for part in parts {
            let kv = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingASCIISpaces() }
            guard kv.count == 2 else { throw FaultError("X-PaySandbox-Fault: parameter '\(part)' needs a value") }
            object.append((kv[0].lowercased(), Int(kv[1]).map(JSON.int) ?? .string(kv[1])))
        }
        let parsed = try parsed(.object(object), name: "X-PaySandbox-Fault: ", requestsOnly: true)
        guard !parsed.kind.onDeliveries else {
            throw FaultError(
                "X-PaySandbox-Fault: \(parsed.kind.rawValue) is a delivery fault: add a rule with route \"deliveries\"")
        }
        return parsed
    }

    /// `requestsOnly`: the header, which faults one call and so offers only the request faults.
    private static func parsed(_ body: JSON, name: String, requestsOnly: Bool = false) throws(FaultError) -> Parsed {
        let kinds = Kind.allCases.filter { !(requestsOnly && $0.onDeliveries) }.map(\.rawValue)
            .joined(separator: ", ")
        guard let text = body["fault"]?.stringValue else { throw FaultError("\(name)fault is required (\(kinds))") }
        guard let kind = Kind(rawValue: text) else { throw FaultError("\(name)fault '\(text)' is not one of \(kinds)") }
        var parsed = Parsed(kind: kind)
        func required(_ field: String, _ range: ClosedRange<Int>, _ unit: String = "") throws(FaultError) -> Int {
            guard let value = body[field]?.intValue, range.contains(value) else {
                throw FaultError(
                    "\(name)\(field) is required for fault \(kind.rawValue): "
                        + "\(range.lowerBound) to \(range.upperBound)\(unit)"
                )
            }
            return value
        }
        // Each parameter, when given, is checked whatever the fault (one that does not use it
        // is no place for a malformed one); the fault's own are required.
        let ranges: [(String, ClosedRange<Int>, String)] = [
            ("status", 400...599, ""), ("retry_after", 0...86400, " seconds"),
                                                            ("latency_ms", 1 ... 600_000, ""),
            ("seconds", 1...31_622_400, " (sandbox-clock seconds)"), ("attempts", 1...100, ""),
        ]
        for (field, range, unit) in ranges {
            guard let value = body[field], !value.isNull else { continue }
            guard let n = value.intValue, range.contains(n) else {
                throw FaultError(
                    "\(name)\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)\(unit)")
            }
        }
        switch kind {
        case .error:
            parsed.status = try required("status", 400 ... 599)
            parsed.retryAfter = body["retry_after"]?.intValue
        case .latency: parsed.latencyMs = try required("latency_ms", 1 ... 600_000)
        case .delay: parsed.amount = try required("seconds", 1 ... 31_622_400, " (sandbox-clock seconds)")
        case .dropFirst: parsed.amount = try required("attempts", 1 ... 100)
        case .reset, .timeout, .lostResponse, .duplicate, .reorder:
            break
        }
        return parsed
    }

    /// A rule from its JSON (`routes` nil: stored, checked already).
    static func rule(_ body: JSON, id: Int, createdAt: String, routes: ((String) -> [String]?)?,
                     defaultSeed: UInt64?) throws(FaultError) -> Rule {
        guard case .object = body else { throw FaultError("the body must be a JSON object") }
        guard let provider = body["provider"]?.stringValue else { throw FaultError("provider is required") }
        var table: [String]?
        if let routes {
            guard let known = routes(provider) else {
                throw FaultError("provider '\(provider)' is not one of this sandbox's")
            }
            table = known
        }
        var account: Int?
        if let value = body["account"], !value.isNull {
            guard let n = value.intValue, n >= 1 else {
                throw FaultError("account must be an account number (1, 2, …)")
            }
            account = n
        }
        var route: String?, method: String?, segments: [String?]?
        let parsed = try parsed(body, name: "")
        let deliveries = body["route"]?.stringValue == "deliveries"
        guard deliveries == parsed.kind.onDeliveries else {
            throw FaultError(
                deliveries
                    ? "route \"deliveries\" takes the delivery faults: duplicate, delay, reorder, drop_first"
                : "fault '\(parsed.kind.rawValue)' is a delivery fault: give route \"deliveries\"")
        }
        if !deliveries, let value = body["route"], !value.isNull {
            guard let text = value.stringValue else {
                throw FaultError("route must be a string like \"POST /api/v1/create_transaction\"")
            }
            guard let key = routeKey(text) else {
                throw FaultError(
                    "route must be a method and a documented path, like \"POST /api/v1/create_transaction\"")
            }
            method = key[0]
            segments = key.dropFirst().map { $0 == "{}" ? nil : $0 }
            if let table {
                guard table.contains(where: { routeKey($0) == key }) else {
                    throw FaultError("route '\(text)': \(provider) has no such route")
                }
            }
            route = text
        }
        if deliveries { route = "deliveries" }
        var probability = 1.0
        if let value = body["probability"], !value.isNull {
            guard case .number(let n) = value, let p = Double(n), p >= 0, p <= 1 else {
                throw FaultError("probability must be a number from 0 to 1")
            }
            probability = p
        }
        var count: Int?
        if let value = body["count"], !value.isNull {
            guard let n = value.intValue, n >= 0 else { throw FaultError("count must be a whole number, 0 or more") }
            count = n
        }
        var seed = defaultSeed.map { $0 &+ UInt64(id) &* 0x9E37_79B9_7F4A_7C15 } ?? UInt64.random(in: .min ... .max)
        if let value = body["seed"], !value.isNull {
            guard let s = value.uint64Value else {
                throw FaultError("seed must be a whole number, 0 or more")
            }
            seed = s
        }
        return Rule(
            id: id, provider: provider, account: account, route: route, method: method, segments: segments,
            kind: parsed.kind,
            status: parsed.status, retryAfter: parsed.retryAfter, latencyMs: parsed.latencyMs, amount: parsed.amount,
                    probability: probability,
                    count: count, seed: seed, createdAt: createdAt, random: SplitMix64(seed: seed))
    }
}
