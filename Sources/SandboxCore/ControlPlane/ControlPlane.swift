import HTTPServer
import SQLiteStore
import SandboxResources

/// The `/_sandbox/` control plane on the main port.
struct ControlPlane: Sendable {
    let sandbox: Sandbox
    var context: SandboxContext { sandbox.context }

    func routes() -> Router {
        var router = Router()
        router.get("/health") { _ in try health() }
        router.get("/metrics") { _ in
            let text = try await onWorker { try Metrics(sandbox: sandbox).render() }
            var response = HTTPResponse(status: 200, body: Array(text.utf8))
            response.headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
        router.post("/reset") { _ in
            try await onWorker { try sandbox.reset() }
            return .json(["status": "reset", "time": .string(context.clock.nowISO8601())])
        }
        router.get("/clock") { _ in clock() }
        router.post("/clock/advance") { request in try await onWorker { try advance(request) } }
        router.get("/payments") { request in try payments(request) }
        router.get("/payments/:provider/:id") { request in try payment(request) }
        router.post("/payments/:provider/:id/outcome") { request in try await onWorker { try outcome(request) } }
        router.get("/deliveries") { request in try deliveries(request) }
        router.get("/deliveries/:id") { request in try delivery(request) }
        router.post("/deliveries/:id/replay") { request in try await onWorker { try replay(request) } }
        router.get("/requests") { request in try await onWorker { try requests(request) } }
        router.post("/accounts") { request in try await onWorker { try createAccount(request) } }
        router.get("/accounts/:provider/:account") { request in try account(request) }
        router.patch("/accounts/:provider/:account") { request in try await onWorker { try updateAccount(request) } }
        router.get("/openapi/:document") { request in try openAPI(request) }
        router.post("/snapshots") { request in try await onWorker { try snapshot(request) } }
        router.get("/snapshots") { _ in .json(["snapshots": .array(sandbox.snapshots.list())]) }
        router.delete("/snapshots/:name") { request in
            let name = request.parameters["name"] ?? ""
            guard try await onWorker({ sandbox.snapshots.remove(name) }) else {
                throw ControlPlaneError.notFound("no snapshot '\(name)'")
            }
            return .json(["snapshots": .array(sandbox.snapshots.list())])
        }
        router.post("/snapshots/:name/restore") { request in try await onWorker { try restore(request) } }
        router.get("/snapshots/:name/file") { request in
            let name = request.parameters["name"] ?? ""
            guard let bytes = sandbox.snapshots.bytes(name) else {
                throw ControlPlaneError.notFound("no snapshot '\(name)'")
            }
            var response = HTTPResponse(status: 200, body: bytes)
            response.headers.add("Content-Type", "application/vnd.sqlite3")
            response.headers.add("Content-Disposition", "attachment; filename=\"\(name).sqlite\"")
            return response
        }
        router.put("/snapshots/:name/file") { request in try await onWorker { try upload(request) } }
        router.post("/faults") { request in try await onWorker { try addFault(request) } }
        router.get("/faults") { _ in .json(["faults": .array(sandbox.faults.list())]) }
        router.delete("/faults") { _ in
            _ = try await onWorker { try sandbox.faults.remove(nil) }
            return .json(["faults": []])
        }
        router.delete("/faults/:id") { request in
            guard let id = request.parameters["id"].flatMap({ Int($0) }),
                  try await onWorker({ try sandbox.faults.remove(id) })
            else {
                throw ControlPlaneError.notFound("no fault rule '\(request.parameters["id"] ?? "")'")
            }
            return .json(["faults": .array(sandbox.faults.list())])
        }
        for method in ["POST", "PUT", "PATCH"] {
            router.add(method, "/inbox/:name") { request in try receive(request) }
        }
        router.get("/inbox/:name") { request in
            let name = try inboxName(request)
            let received = sandbox.inbox.entries(name).reversed().map(\.json)
            return .json(["inbox": .string(name), "received": .array(received)])
        }
        router.delete("/inbox/:name") { request in
            let name = try inboxName(request)
            sandbox.inbox.clear(name)
            return .json(["inbox": .string(name), "received": []])
        }
        Dashboard(sandbox: sandbox).register(&router)
        for module in sandbox.configuration.extensions { module.register(&router, sandbox: sandbox) }
        for provider in sandbox.providers {
            if let own = provider.controlRoutes(context.scoped(to: provider)) { router.mount("/" + provider.key, own) }
        }
        router.admit = { [access = sandbox.admin] request in access.refusal(request) }
        router.allowsCORS = false
        router.errorResponse = { [logger = context.logger] error, request in
            InternalError.respond(error, request, logger: logger) { .json(["error": .string($0)], status: 500) }
        }
        return router
    }

    private func health() throws -> HTTPResponse {
        let accounts = try context.accounts.count()
        var resets: [(String, JSON)] = []
        if let schedule = sandbox.resets {
            resets = [
                ("next_reset", .string(Timestamp.iso8601(milliseconds: schedule.nextDue))),
                ("reset_every_seconds", .int(Int(schedule.interval / 1000))),
                ("reset_to", .string(schedule.snapshot.map { "snapshot " + $0 }
                    ?? (sandbox.configuration.fixtures == nil ? "default" : "fixtures"))),
            ]
        }
        return .json(JSON.object([
            ("status", "ok"),
            ("time", .string(context.clock.nowISO8601())),
            ("database", .string(sandbox.store.path)),
            ("accounts", .int(accounts)),
            ("providers", .array(sandbox.providers.map { .string($0.key) })),
            ("uptime_ms", .int(SandboxClock.systemMilliseconds() - sandbox.startedAt)),
            ("journal_dropped", .int(sandbox.journal.droppedCount)),
        ] + resets))
    }

    /// A provider's OpenAPI document, or the control plane's own (`sandbox.json`), its
    /// `servers` pointing at where this request came in.
    private func openAPI(_ request: HTTPRequest) throws -> HTTPResponse {
        let name = request.parameters["document"] ?? ""
        let key = name.hasSuffix(".json") ? String(name.dropLast(5)) : ""
        let mount = key == "sandbox" ? "_sandbox" : sandbox.provider(key)?.key
        guard let mount, let bytes = SandboxResources.data("openapi/\(key).json"), let document = try? JSON.parse(bytes)
        else {
            let known = (sandbox.providers.map(\.key) + ["sandbox"]).map { $0 + ".json" }.joined(separator: ", ")
            throw ControlPlaneError.notFound("no OpenAPI document '\(name)' (known: \(known))")
        }
        return .json(document.merging(["servers": [["url": .string(request.baseURL + "/" + mount)]]]))
    }

    // MARK: inbox

    private func inboxName(_ request: HTTPRequest) throws -> String {
        let name = request.parameters["name"] ?? ""
        guard Inbox.isName(name) else {
            throw ControlPlaneError.badRequest("an inbox's name is 1 to 64 letters, digits, '.', '_' or '-'")
        }
        return name
    }

    /// A callback caught: answered at once with the status asked for (200 unless `?status=`).
    private func receive(_ request: HTTPRequest) throws -> HTTPResponse {
        let name = try inboxName(request)
        var status = 200
        if let text = request.query["status"] {
            guard let asked = Int(text), (200 ... 599).contains(asked), asked != 204, asked != 304 else {
                throw ControlPlaneError.badRequest("status must be a status code from 200 to 599 (not 204 or 304)")
            }
            status = asked
        }
        let entry = sandbox.inbox.receive(name, request, status: status, at: context.clock.nowISO8601())
        return .json(["inbox": .string(name), "received": .int(entry.id)], status: status)
    }

    // MARK: faults

    private func addFault(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.controlPlaneJSON()
        do {
            return .json(try sandbox.addFault(body), status: 201)
        } catch let error as FaultError {
            throw ControlPlaneError.badRequest(error.description)
        }
    }

    // MARK: clock

    private func clock() -> HTTPResponse {
        .json([
            "time": .string(context.clock.nowISO8601()),
            "frozen": .bool(context.clock.isFrozen),
            "advanced_seconds": .number(String(Double(context.clock.advancedMilliseconds) / 1000)),
        ])
    }

    private func advance(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.controlPlaneJSON()
        guard let seconds = body["seconds"], case .number(let text) = seconds, let value = Double(text),
              value >= 0, value <= 10 * 366 * 86400 else {
            throw ControlPlaneError.badRequest("seconds must be a number of seconds, 0 to 316224000")
        }
        let summary = try sandbox.scheduler.advance(by: Int64((value * 1000).rounded()))
        return .json([
            "from": .string(Timestamp.iso8601(milliseconds: summary.from)),
            "time": .string(Timestamp.iso8601(milliseconds: summary.to)),
            "steps": .int(summary.steps),
        ])
    }

    // MARK: payments

    func knownProvider(_ key: String?) throws -> (any Provider)? {
        guard let key else { return nil }
        guard let provider = sandbox.provider(key) else {
            throw ControlPlaneError.notFound(
                "unknown provider '\(key)' (known: \(sandbox.providers.map(\.key).joined(separator: ", ")))")
        }
        return provider
    }

    private func payments(_ request: HTTPRequest) throws -> HTTPResponse {
        var filter = Payments.Filter()
        filter.provider = try knownProvider(request.query["provider"])?.key
        filter.status = request.query["status"]
        if let text = request.query["account"] {
            guard let account = Int(text) else { throw ControlPlaneError.badRequest("account must be an integer") }
            filter.account = account
        }
        filter.limit = try request.queryInt("limit", default: 100, max: 1000)
        filter.offset = try request.queryInt("offset", default: 0, max: Int.max)
        let list = try sandbox.payments(filter)
        return .json(["payments": .array(list), "limit": .int(filter.limit), "offset": .int(filter.offset)])
    }

    private func payment(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let provider = try knownProvider(request.parameters["provider"]), let id = request.parameters["id"] else {
            throw ControlPlaneError.notFound("no such payment")
        }
        guard let story = try sandbox.story(provider: provider.key, payment: id, deliveries: 1000) else {
            throw ControlPlaneError.notFound("no \(provider.key) payment '\(id)'")
        }
        return .json(
            story.payment.merging(["timeline": .array(story.timeline), "deliveries": .array(story.deliveries)]))
    }

    private func outcome(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let provider = try knownProvider(request.parameters["provider"]), let id = request.parameters["id"] else {
            throw ControlPlaneError.notFound("no such payment")
        }
        let outcome: Outcome
        do {
            outcome = try Outcome.parse(json: request.controlPlaneJSON())
        } catch let error as OutcomeError {
            throw ControlPlaneError.badRequest(error.description)
        }
        do {
            try sandbox.complete(provider, payment: id, with: outcome)
        } catch CompletionError.notFound {
            throw ControlPlaneError.notFound("no \(provider.key) payment '\(id)'")
        } catch CompletionError.alreadyFinal(let status) {
            throw ControlPlaneError.conflict("\(provider.key) payment '\(id)' is already \(status)")
        }
        let payment = try sandbox.payment(provider: provider.key, id: id)
        return .json(payment ?? [:])
    }

    // MARK: deliveries

    private func deliveries(_ request: HTTPRequest) throws -> HTTPResponse {
        var filter = Outbox.Filter()
        filter.provider = try knownProvider(request.query["provider"])?.key
        if let state = request.query["state"] {
            guard ["pending", "delivered", "failed"].contains(state) else {
                throw ControlPlaneError.badRequest("state must be pending, delivered or failed")
            }
            filter.state = state
        }
        filter.payment = request.query["payment"]
        filter.limit = try request.queryInt("limit", default: 50, max: 1000)
        filter.offset = try request.queryInt("offset", default: 0, max: Int.max)
        let list = try sandbox.deliveries(filter)
        return .json(["deliveries": .array(list), "limit": .int(filter.limit), "offset": .int(filter.offset)])
    }

    private func deliveryID(_ request: HTTPRequest) throws -> Int64 {
        guard let text = request.parameters["id"], let id = Int64(text) else {
            throw ControlPlaneError.notFound("no delivery '\(request.parameters["id"] ?? "")'")
        }
        return id
    }

    private func delivery(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = try deliveryID(request)
        guard let json = try sandbox.delivery(id: id) else {
            throw ControlPlaneError.notFound("no delivery \(id)")
        }
        return .json(json)
    }

    private func replay(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = try deliveryID(request)
        guard let replayed = try sandbox.replay(delivery: id) else {
            throw ControlPlaneError.notFound("no delivery \(id)")
        }
        return .json(replayed, status: 202)
    }

    // MARK: request journal

    private func requests(_ request: HTTPRequest) throws -> HTTPResponse {
        var filter = RequestJournal.Filter()
        filter.provider = try knownProvider(request.query["provider"])?.key
        filter.method = request.query["method"]
        filter.path = request.query["path"]
        filter.route = request.query["route"]
        filter.payment = request.query["payment"]
        if let text = request.query["account"] {
            guard let account = Int(text) else { throw ControlPlaneError.badRequest("account must be an integer") }
            filter.account = account
        }
        if let text = request.query["status"] {
            guard let status = StatusMatch(text) else {
                throw ControlPlaneError.badRequest("status must be a status code (404) or a class (2xx, 4xx, 5xx)")
            }
            filter.status = status
        }
        filter.limit = min(try request.queryInt("limit", default: 100, max: .max), sandbox.journal.capacity)
        return .json(["requests": .array(try sandbox.journal.list(filter)), "capacity": .int(sandbox.journal.capacity)])
    }
}
