import HTTPServer
import SandboxCore

/// The witness: the sandbox sees both sides of every payment (the integration's calls, and how
/// its callback endpoint answered), so it can say what happened (`POST /_sandbox/verify`),
/// grade an account (`GET /_sandbox/accounts/{provider}/{account}/report`) and put it through
/// every situation (`…/trials`). It reads the journal and the deliveries; the core does not know it.
public struct Witness: ControlExtension {
    public init() {}

    public func register(_ router: inout Router, sandbox: Sandbox) {
        let trials = Trials(sandbox: sandbox)
        router.post("/verify") { request in
            let body = try request.controlPlaneJSON()
            let expectation = try Expectation(
                body, providers: sandbox.providers.map(\.key), routes: { sandbox.documentedRoutes($0) })
            return try await Verification(sandbox: sandbox).answer(expectation)
        }
        router.get("/accounts/:provider/:account/report") { request in
            let (provider, account) = try Self.account(request, sandbox)
            let format = request.query["format"] ?? "json"
            guard format == "json" || format == "junit" || format == "text" else {
                throw ControlPlaneError.badRequest("format must be json, text or junit")
            }
            let report = try await onWorker { Report(try Self.history(sandbox, provider, account)) }
            guard format != "json" else { return .json(report.json) }
            guard format == "junit" else { return .text(report.text) }
            var response = HTTPResponse(status: 200, body: Array(report.junit.utf8))
            response.headers.add("Content-Type", "application/xml; charset=utf-8")
            return response
        }
        router.get("/accounts/:provider/:account/view") { request in
            let (provider, account) = try Self.account(request, sandbox)
            let trial = try trials.state(provider: provider.key, account: account)
            return try await onWorker { try AccountPage(sandbox: sandbox).render(provider, account, trial: trial) }
        }
        router.post("/accounts/:provider/:account/report/reset") { request in
            let (provider, account) = try Self.account(request, sandbox)
            let since = try await onWorker { try Self.restartReport(sandbox, provider.key, account) }
            return .json(["provider": .string(provider.key), "account": .int(account), "since": .string(since)])
        }
        router.post("/accounts/:provider/:account/trials") { request in
            let (provider, account) = try Self.account(request, sandbox)
            let body = try request.controlPlaneJSON()
            return .json(try await onWorker { try trials.arm(body, provider: provider, account: account) }, status: 201)
        }
        router.get("/accounts/:provider/:account/trials") { request in
            let (provider, account) = try Self.account(request, sandbox)
            guard let state = try trials.state(provider: provider.key, account: account) else {
                throw ControlPlaneError.notFound("no trial on \(provider.key) account \(account)")
            }
            return .json(state)
        }
        router.delete("/accounts/:provider/:account/trials") { request in
            let (provider, account) = try Self.account(request, sandbox)
            guard try await onWorker({ try trials.cancel(provider: provider.key, account: account) }) else {
                throw ControlPlaneError.notFound("no trial on \(provider.key) account \(account)")
            }
            return .json(["provider": .string(provider.key), "account": .int(account), "cancelled": true])
        }
    }

    /// The provider and account a path names (404 for an unknown one).
    static func account(_ request: HTTPRequest, _ sandbox: Sandbox) throws -> (any Provider, Int) {
        let key = request.parameters["provider"] ?? ""
        guard let provider = sandbox.provider(key) else {
            throw ControlPlaneError.notFound(
                "unknown provider '\(key)' (known: \(sandbox.providers.map(\.key).joined(separator: ", ")))")
        }
        let text = request.parameters["account"] ?? ""
        guard let account = Int(text), try sandbox.context.accounts.find(provider: key, id: account) != nil else {
            throw ControlPlaneError.notFound("no \(key) account '\(text)'")
        }
        return (provider, account)
    }

    static func markKey(_ provider: String, _ account: Int) -> String { "report:\(provider):\(account)" }

    /// Everything the account did since its report last started.
    static func history(_ sandbox: Sandbox, _ provider: any Provider, _ account: Int) throws -> History {
        let mark = try sandbox.context.kept(markKey(provider.key, account))?.split(separator: " ").map(String.init)
        var filter = RequestJournal.Filter()
        filter.provider = provider.key
        filter.account = account
        filter.afterID = mark.flatMap { $0.first.flatMap { Int64($0) } }
        filter.limit = History.limit
        filter.ascending = true
        let calls = try sandbox.journal.calls(filter)
        let deliveries = try sandbox.deliveryRecords(
            provider: provider.key, account: account, after: mark.flatMap { $0.count > 1 ? Int64($0[1]) : nil } ?? 0,
            limit: History.limit)
        return History(provider: provider.key, account: account, conduct: provider.conduct, calls: calls,
                       deliveries: deliveries, since: mark.flatMap { $0.count > 2 ? $0[2] : nil })
    }

    /// Starts the account's report again from now: what came before no longer counts.
    static func restartReport(_ sandbox: Sandbox, _ provider: String, _ account: Int) throws -> String {
        let marks = try sandbox.marks()
        let now = sandbox.context.clock.nowISO8601()
        try sandbox.store.write { db in
            try SandboxContext.keep(db, markKey(provider, account), "\(marks.call) \(marks.delivery) \(now)")
        }
        return now
    }
}

extension Witness {
    /// The report of every account that made a call or was sent a callback since its report
    /// started, provider by provider: what `paysandbox run` prints when the tests end.
    public static func reports(_ sandbox: Sandbox) throws -> [Report] {
        var reports: [Report] = []
        for provider in sandbox.providers {
            for account in try sandbox.context.accounts.list(provider: provider.key) {
                let history = try history(sandbox, provider, account.id)
                if !history.calls.isEmpty || !history.deliveries.isEmpty { reports.append(Report(history)) }
            }
        }
        return reports
    }
}
