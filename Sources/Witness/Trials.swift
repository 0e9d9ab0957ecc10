import HTTPServer
import SandboxCore

/// A trial: on one account, a seeded sequence of fault rules (each firing once) so that the
/// integration's next payments each meet one situation. Kept in the store beside the state
/// (`trial:<provider>:<account>`), so a restart or a snapshot keeps it.
struct Trials: Sendable {
    let sandbox: Sandbox

    struct Situation: Sendable {
        let name: String
        let description: String
        let rule: JSON
    }

    static let plans = ["callbacks", "outages", "all"]

    /// The situations of `plan` for one account, in the provider's terms.
    static func situations(_ plan: String, provider: any Provider, account: Int) -> [Situation] {
        let conduct = provider.conduct
        func rule(_ fields: [(String, JSON)]) -> JSON {
            .object([("provider", .string(provider.key)), ("account", .int(account)), ("count", 1)] + fields)
        }
        var callbacks: [Situation] = []
        if conduct.noCallbacks == nil {
            callbacks = [
                Situation(name: "callback-duplicated", description: "a callback sent twice",
                          rule: rule([("route", "deliveries"), ("fault", "duplicate")])),
                Situation(name: "callback-lost", description: "a callback whose first two attempts are lost",
                          rule: rule([("route", "deliveries"), ("fault", "drop_first"), ("attempts", 2)])),
                Situation(name: "callback-late", description: "a callback 5 seconds late (sandbox clock)",
                          rule: rule([("route", "deliveries"), ("fault", "delay"), ("seconds", 5)])),
                Situation(name: "callbacks-reordered", description: "a payment's callbacks out of order",
                          rule: rule([("route", "deliveries"), ("fault", "reorder")])),
            ]
        }
        let create = JSON.string(provider.createRoute)
        var outages = [
            Situation(name: "create-503-retry-after", description: "a create answered 503 with Retry-After: 1",
                      rule: rule([("route", create), ("fault", "error"), ("status", 503), ("retry_after", 1)])),
            Situation(name: "create-answer-lost", description: "a create carried out whose answer is lost",
                      rule: rule([("route", create), ("fault", "lost_response")])),
            Situation(name: "create-timeout", description: "a create that is never answered",
                      rule: rule([("route", create), ("fault", "timeout")])),
        ]
        if conduct.noTokens == nil {
            outages.append(Situation(
                name: "token-refused", description: "a token refused early (401) on a create",
                rule: rule([("route", create), ("fault", "error"), ("status", 401)])))
        }
        switch plan {
        case "callbacks": return callbacks
        case "outages": return outages
        default: return callbacks + outages
        }
    }

    static func key(_ provider: String, _ account: Int) -> String { "trial:\(provider):\(account)" }

    /// Arms `plan` (400: unknown plan or nothing to arm; 409: one is running).
    func arm(_ body: JSON, provider: any Provider, account: Int) throws -> JSON {
        guard let plan = body["plan"]?.stringValue, Self.plans.contains(plan) else {
            throw ControlPlaneError.badRequest("plan must be one of \(Self.plans.joined(separator: ", "))")
        }
        var seed = UInt64.random(in: 0...UInt64(Int64.max))
        if let value = body["seed"], !value.isNull {
            guard let n = value.uint64Value else {
                throw ControlPlaneError.badRequest("seed must be a whole number, 0 or more")
            }
            seed = n
        }
        if let running = try state(provider: provider.key, account: account), running["done"] == false {
            throw ControlPlaneError.conflict(
                "a trial is running on \(provider.key) account \(account): DELETE it first, or let it finish")
        }
        var situations = Self.situations(plan, provider: provider, account: account)
        guard !situations.isEmpty else {
            throw ControlPlaneError.badRequest(
                "\(provider.key) has nothing to arm for plan \(plan): \(provider.conduct.noCallbacks ?? "")")
        }
        var random = SplitMix64(seed: seed)
        situations.shuffle(using: &random)
        var armed: [JSON] = []
        for situation in situations {
            var rule = situation.rule
            rule = rule.merging(["seed": .number(String(random.next() >> 1))])
            let made = try sandbox.addFault(rule)
            armed.append(["situation": .string(situation.name), "description": .string(situation.description),
                          "rule": made["id"] ?? .null])
        }
        let trial: JSON = [
            "provider": .string(provider.key), "account": .int(account), "plan": .string(plan),
            "seed": .number(String(seed)), "started_at": .string(sandbox.context.clock.nowISO8601()),
            "situations": .array(armed),
        ]
        try sandbox.store.write { db in
            try SandboxContext.keep(db, Self.key(provider.key, account), trial.serialized())
        }
        return try state(provider: provider.key, account: account) ?? trial
    }

    /// The armed trial with each situation met or waiting (nil: none armed).
    func state(provider: String, account: Int) throws -> JSON? {
        guard let text = try sandbox.context.kept(Self.key(provider, account)), !text.isEmpty,
              let trial = try? JSON.parse(text) else { return nil }
        let rules = sandbox.faultRules
        var allMet = true
        let situations: [JSON] = (trial["situations"]?.arrayValue ?? []).map { situation in
            let rule = rules.first { $0["id"] == situation["rule"] }
            let met = rule?["expired"] == true
            let state = rule == nil ? "cancelled" : met ? "met" : "waiting"
            if state == "waiting" { allMet = false }
            return situation.merging(["state": .string(state), "fired": rule?["fired"] ?? .int(0)])
        }
        return trial.merging(["situations": .array(situations), "done": .bool(allMet)])
    }

    /// Cancels the trial: its rules removed (false: none armed).
    func cancel(provider: String, account: Int) throws -> Bool {
        guard let trial = try state(provider: provider, account: account) else { return false }
        try sandbox.removeFaults((trial["situations"]?.arrayValue ?? []).compactMap { $0["rule"]?.intValue })
        try sandbox.store.write { db in try SandboxContext.keep(db, Self.key(provider, account), "") }
        return true
    }
}
