import HTTPServer
import SQLiteStore

/// The dashboard at `/_sandbox/`: every payment, newest first, with filters; a payment's
/// page with its timeline, deliveries and requests; and forms that act through the same
/// code paths as the control plane. Server-rendered, no scripts; it refreshes itself.
struct Dashboard {
    let sandbox: Sandbox
    var context: SandboxContext { sandbox.context }

    func register(_ router: inout Router) {
        router.get("/") { request in try list(request) }
        router.get("/payments/:provider/:id/view") { request in try await onWorker { try detail(request) } }
        router.post("/ui/outcome") { request in try await onWorker { try outcome(request) } }
        router.post("/ui/replay") { request in try await onWorker { try replay(request) } }
        router.post("/ui/advance") { request in try await onWorker { try advance(request) } }
        router.post("/ui/reset") { request in try await onWorker { try reset(request) } }
        router.post("/ui/faults/add") { request in try await onWorker { try addFault(request) } }
        router.post("/ui/faults/remove") { request in try await onWorker { try removeFault(request) } }
        router.post("/ui/snapshots/take") { request in try await onWorker { try takeSnapshot(request) } }
        router.post("/ui/snapshots/restore") { request in try await onWorker { try restoreSnapshot(request) } }
    }

    /// A dashboard page, reloading itself every 5 s unless `?refresh=off` (a link in the
    /// banner switches, so a form being filled in is not reloaded away).
    private func page(_ title: String, _ template: String, _ view: JSON, request: HTTPRequest, status: Int = 200)
        -> HTTPResponse
    {
        let paused = Self.paused(request)
        var query = request.queryString.split(separator: "&").filter { !$0.hasPrefix("refresh=") }.map(String.init)
        if !paused { query.append("refresh=off") }
        let toggle: JSON = ["href": .string(request.path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))),
                            "label": .string(paused ? "Refresh every 5 s" : "Stop refreshing")]
        return SandboxPage.render(template, title: title, view, status: status,
                                  layout: ["dashboard": true, "refresh": paused ? .null : 5, "toggle": toggle,
                                           "now": .string(context.clock.nowISO8601())])
    }

    private static func paused(_ request: HTTPRequest) -> Bool { request.query["refresh"] == "off" }

    private func message(_ title: String, _ text: String, status: Int) -> HTTPResponse {
        SandboxPage.render("message", title: title, ["message": .string(text)], status: status,
                           layout: ["dashboard": true, "now": .string(context.clock.nowISO8601())])
    }

    private static func link(_ provider: String, _ id: String) -> String {
        "/_sandbox/payments/\(PercentDecoding.encode(provider))/\(PercentDecoding.encode(id))/view"
    }

    // MARK: list

    private func list(_ request: HTTPRequest) throws -> HTTPResponse {
        let query = request.query
        var filter = Payments.Filter()
        filter.provider = query["provider"].flatMap { $0.isEmpty ? nil : $0 }
        filter.status = query["status"].flatMap { $0.isEmpty ? nil : $0 }
        filter.account = query["account"].flatMap { Int($0) }
        filter.idContains = query["q"].flatMap { $0.isEmpty ? nil : $0 }
        filter.limit = 200
        let payments = try sandbox.payments(filter)
        let providers: [JSON] = ([""] + sandbox.providers.map(\.key)).map {
            [
                "key": .string($0), "label": .string($0.isEmpty ? "all providers" : $0),
                "selected": .bool($0 == (filter.provider ?? "")),
            ]
        }
        let rows: [JSON] = payments.map { p in
            var row = p.objectValue ?? []
            row.append(("link", .string(Self.link(p["provider"]?.stringValue ?? "", p["id"]?.stringValue ?? ""))))
            return .object(row)
        }
        let view: JSON = [
            "paused": .bool(Self.paused(request)), "providers": .array(providers),
            "status": .string(filter.status ?? ""),
            "account": .string(filter.account.map(String.init) ?? ""), "q": .string(filter.idContains ?? ""),
            "payments": .array(rows),
            "faults": .array(sandbox.faults.list().map { rule in
                    [
                        "id": rule["id"] ?? 0, "provider": rule["provider"] ?? "",
                        "route": .string(rule["route"]?.stringValue ?? "every route"),
                 "fault": .string(Self.describe(rule)), "fired": rule["fired"] ?? 0,
                 "state": .string(rule["expired"] == true ? "expired" : "live")]
            }),
            "fault_providers": .array(sandbox.providers.map { .string($0.key) }),
            "snapshots": .array(sandbox.snapshots.list().map { snapshot in
                let name = snapshot["name"]?.stringValue ?? ""
                let download = "/_sandbox/snapshots/\(PercentDecoding.encode(name))/file"
                return snapshot.merging(["download": .string(download)])
            }),
            "inbox": .array(sandbox.inbox.latest(20).map { name, entry in
                let body = String(decoding: entry.body.prefix(500), as: UTF8.self)
                return ["name": .string(name), "link": .string("/_sandbox/inbox/\(name)"), "at": .string(entry.at),
                        "method": .string(entry.method), "target": .string(entry.target),
                        "answered": .int(entry.status),
                        "body": .string(entry.body.count > 500 ? body + "…" : body)]
            }),
        ]
        return page("Payments", "dashboard-list", view, request: request)
    }

    /// "error 503", "latency 2000 ms", "delay 60 s", "drop_first 2": a rule's fault in a word or two.
    private static func describe(_ rule: JSON) -> String {
        let kind = rule["fault"]?.stringValue ?? ""
        if let status = rule["status"]?.intValue { return "\(kind) \(status)" }
        if let ms = rule["latency_ms"]?.intValue { return "\(kind) \(ms) ms" }
        if let seconds = rule["seconds"]?.intValue { return "\(kind) \(seconds) s" }
        if let attempts = rule["attempts"]?.intValue { return "\(kind) \(attempts)" }
        return kind
    }

    // MARK: one payment

    private func detail(_ request: HTTPRequest) throws -> HTTPResponse {
        let provider = request.parameters["provider"] ?? "", id = request.parameters["id"] ?? ""
        guard let (payment, timeline, deliveries) = try sandbox.story(provider: provider, payment: id, deliveries: 200)
        else {
            return message("Unknown payment", "No \(provider) payment “\(id)”.", status: 404)
        }
        let back = Self.link(provider, id)
        let sent: [JSON] = deliveries.map { d in
            let attempts: [JSON] = (d["attempts"]?.arrayValue ?? []).map { a in
                [
                    "at": a["at"] ?? "",
                    "result": .string(a["status_code"]?.intValue.map(String.init) ?? a["error"]?.stringValue ?? ""),
                    "duration_ms": a["duration_ms"] ?? 0,
                    "response": .string(String((a["response"]?.stringValue ?? "").prefix(200))),
                ]
            }
            return ["id": d["id"] ?? 0, "kind": d["kind"] ?? "", "url": d["url"] ?? "", "state": d["state"] ?? "",
                    "payload": .string(d["payload"]?.serialized() ?? ""), "attempts": .array(attempts)]
        }
        var journal = RequestJournal.Filter()
        journal.provider = provider
        journal.mentioning = id
        journal.limit = 50
        let requests: [JSON] = try sandbox.journal.list(journal).map { r in
            ["at": r["at"] ?? "", "method": r["method"] ?? "", "target": r["target"] ?? "", "status": r["status"] ?? 0,
             "body": .string(r["body"]?.serialized() ?? ""), "fault": .string(r["fault"]?["kind"]?.stringValue ?? "")]
        }
        let view: JSON = [
            "provider": .string(provider), "id": .string(id), "account": payment["account"] ?? 0,
            "status": payment["status"] ?? "",
            "amount": payment["amount"] ?? "", "currency": payment["currency"] ?? "", "back": .string(back),
            "timeline": .array(
                timeline.map { ["at": $0["at"] ?? "", "status": $0["status"] ?? "", "note": $0["note"] ?? ""] }),
            "deliveries": .array(sent), "requests": .array(requests),
        ]
        return page("\(provider) payment", "dashboard-payment", view, request: request)
    }

    // MARK: actions (the control plane's code paths, answered with a redirect)

    private func outcome(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        let key = form["provider"] ?? "", id = form["id"] ?? ""
        guard let provider = sandbox.provider(key) else {
            return message("Unknown provider", "No provider “\(key)”.", status: 404)
        }
        let outcome: Outcome
        switch form["outcome"] {
        case "success": outcome = .success
        case "failure": outcome = Outcome(.failure, message: form["message"].flatMap { $0.isEmpty ? nil : $0 })
        default: return message("Choose", "Choose success or failure.", status: 400)
        }
        do {
            try sandbox.complete(provider, payment: id, with: outcome)
        } catch CompletionError.notFound {
            return message("Unknown payment", "No \(key) payment “\(id)”.", status: 404)
        } catch CompletionError.alreadyFinal(let status) {
            return message("Already complete", "This payment is already \(status).", status: 409)
        }
        return .redirect(to: Self.link(key, id), status: 303)
    }

    private func replay(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        guard let id = form["id"].flatMap({ Int64($0) }), try sandbox.replay(delivery: id) != nil else {
            return message("Unknown delivery", "No such delivery.", status: 404)
        }
        return .redirect(to: Self.localPath(form["back"]), status: 303)
    }

    private func advance(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let seconds = request.formBody["seconds"].flatMap({ Int($0) }), (0...10 * 366 * 86400).contains(seconds)
        else {
            return message("Advance", "Give a whole number of seconds.", status: 400)
        }
        _ = try sandbox.scheduler.advance(by: Int64(seconds) * 1000)
        return .redirect(to: "/_sandbox/", status: 303)
    }

    private func reset(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.formBody["confirm"] == "yes" else {
            return message("Reset", "Tick “I am sure” to reset the sandbox.", status: 400)
        }
        try sandbox.reset()
        return .redirect(to: "/_sandbox/", status: 303)
    }

    /// The common faults, by name: a provider down (503), slow (2 s), losing the answers of
    /// its creating call. The rule goes through the control plane's own checks.
    private func addFault(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        guard let provider = form["provider"].flatMap(sandbox.provider) else {
            return message("Unknown provider", "Choose a provider.", status: 400)
        }
        let rule: JSON
        switch form["kind"] {
        case "down": rule = ["provider": .string(provider.key), "fault": "error", "status": 503, "retry_after": 30]
        case "slow": rule = ["provider": .string(provider.key), "fault": "latency", "latency_ms": 2000]
        case "lost":
            rule = [
                "provider": .string(provider.key), "route": .string(provider.createRoute), "fault": "lost_response",
            ]
        default: return message("Choose", "Choose down, slow or lost answers.", status: 400)
        }
        do {
            _ = try sandbox.faults.add(
                rule, routes: { [tables = sandbox.routeTables] in tables[$0] }, now: context.clock.nowISO8601())
        } catch let error as FaultError {
            return message("Fault", error.description, status: 400)
        }
        return .redirect(to: "/_sandbox/", status: 303)
    }

    private func removeFault(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let id = request.formBody["id"].flatMap({ Int($0) }), try sandbox.faults.remove(id) else {
            return message("Unknown fault", "No such fault rule.", status: 404)
        }
        return .redirect(to: "/_sandbox/", status: 303)
    }

    private func takeSnapshot(_ request: HTTPRequest) throws -> HTTPResponse {
        do {
            _ = try sandbox.takeSnapshot(request.formBody["name"] ?? "")
        } catch let error as SnapshotError {
            return message("Snapshot", error.description, status: 400)
        }
        return .redirect(to: "/_sandbox/", status: 303)
    }

    private func restoreSnapshot(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        guard let bytes = sandbox.snapshots.bytes(form["name"] ?? "") else {
            return message("Unknown snapshot", "No snapshot “\(form["name"] ?? "")”.", status: 404)
        }
        guard form["confirm"] == "yes" else {
            return message(
                "Restore", "Tick “I am sure” to restore this snapshot: what happened since is lost.", status: 400)
        }
        try sandbox.restore(bytes: bytes)
        return .redirect(to: "/_sandbox/", status: 303)
    }

    /// Only dashboard paths are followed back to (no open redirect).
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/_sandbox/"), !text.contains("//"), !text.contains("\\") else {
            return "/_sandbox/"
        }
        return text
    }
}
