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
        router.get("/payments/:provider/:id/view") { request in try detail(request) }
        router.post("/ui/outcome") { request in try outcome(request) }
        router.post("/ui/replay") { request in try replay(request) }
        router.post("/ui/advance") { request in try advance(request) }
        router.post("/ui/reset") { request in try reset(request) }
    }

    private func e(_ text: String) -> String { HTML.escape(text) }

    private func page(_ title: String, _ body: String, refresh: Bool = false, status: Int = 200) -> HTTPResponse {
        .html("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            \(refresh ? "<meta http-equiv=\"refresh\" content=\"5\">" : "")
            <title>\(e(title)) · PaySandbox</title>
            <style>body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem}
            table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
            form.inline{display:inline}input,select,button{font-size:.95rem;padding:.2rem .4rem}pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.4rem}
            .banner{background:#fde68a;padding:.4rem .8rem;border-radius:.4rem}.muted{color:#666}</style></head>
            <body><p class="banner" role="note">PaySandbox dashboard · sandbox time <strong>\(e(context.clock.nowISO8601()))</strong></p>
            <h1>\(e(title))</h1>
            \(body)
            </body></html>
            """, status: status)
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
        let search = filter.idContains
        let payments = try sandbox.store.read { db in try Payments.list(db, filter) }
        let providerOptions = ([""] + sandbox.providers.map(\.key)).map {
            "<option value=\"\(e($0))\"\($0 == (filter.provider ?? "") ? " selected" : "")>\($0.isEmpty ? "all providers" : e($0))</option>"
        }.joined()
        let rows = payments.map { p -> String in
            let provider = p["provider"]?.stringValue ?? "", id = p["id"]?.stringValue ?? ""
            return "<tr><td>\(e(provider))</td><td><a href=\"/_sandbox/payments/\(e(PercentDecoding.encode(provider)))/\(e(PercentDecoding.encode(id)))/view\">\(e(id))</a></td>"
                + "<td>\(p["account"]?.intValue ?? 0)</td><td class=\"status\">\(e(p["status"]?.stringValue ?? ""))</td>"
                + "<td>\(e(p["amount"]?.stringValue ?? "")) \(e(p["currency"]?.stringValue ?? ""))</td>"
                + "<td>\(e(p["created_at"]?.stringValue ?? ""))</td><td>\(e(p["updated_at"]?.stringValue ?? ""))</td></tr>"
        }.joined()
        let body = """
            <form method="get" action="/_sandbox/">
              <label>Provider <select name="provider">\(providerOptions)</select></label>
              <label>Status <input name="status" value="\(e(filter.status ?? ""))" size="10"></label>
              <label>Account <input name="account" value="\(filter.account.map(String.init) ?? "")" size="4" inputmode="numeric"></label>
              <label>Id <input name="q" value="\(e(search ?? ""))" size="24"></label>
              <button type="submit">Filter</button>
            </form>
            <p>
              <form class="inline" method="post" action="/_sandbox/ui/advance"><label>Advance the clock by
                <input name="seconds" value="60" size="6" inputmode="numeric"> seconds</label> <button type="submit">Advance</button></form>
              <form class="inline" method="post" action="/_sandbox/ui/reset"><label><input type="checkbox" name="confirm" value="yes"> I am sure</label>
                <button type="submit">Reset the sandbox</button></form>
            </p>
            <table><thead><tr><th>Provider</th><th>Id</th><th>Account</th><th>Status</th><th>Amount</th><th>Created</th><th>Updated</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">No payments yet.</td></tr>" : rows)</tbody></table>
            """
        return page("Payments", body, refresh: true)
    }

    // MARK: one payment

    private func detail(_ request: HTTPRequest) throws -> HTTPResponse {
        let provider = request.parameters["provider"] ?? "", id = request.parameters["id"] ?? ""
        let data = try sandbox.store.read { db -> (JSON, [JSON], [JSON])? in
            guard let payment = try Payments.find(db, provider: provider, id: id) else { return nil }
            var filter = Outbox.Filter()
            filter.provider = provider
            filter.payment = id
            filter.limit = 200
            return (payment, try Payments.timeline(db, provider: provider, id: id), try Outbox.list(db, filter))
        }
        guard let (payment, timeline, deliveries) = data else {
            return page("Unknown payment", "<p>No \(e(provider)) payment <code>\(e(id))</code>. <a href=\"/_sandbox/\">All payments</a></p>", status: 404)
        }
        let back = "/_sandbox/payments/\(PercentDecoding.encode(provider))/\(PercentDecoding.encode(id))/view"
        let steps = timeline.map { "<tr><td>\(e($0["at"]?.stringValue ?? ""))</td><td>\(e($0["status"]?.stringValue ?? ""))</td><td>\(e($0["note"]?.stringValue ?? ""))</td></tr>" }.joined()
        let sent = deliveries.map { d -> String in
            let attempts = (d["attempts"]?.arrayValue ?? []).map { a in
                "<li>\(e(a["at"]?.stringValue ?? "")): \(e(a["status_code"]?.intValue.map(String.init) ?? a["error"]?.stringValue ?? "")) in \(a["duration_ms"]?.intValue ?? 0) ms"
                    + (a["response"]?.stringValue.map { " <code>\(e(String($0.prefix(200))))</code>" } ?? "") + "</li>"
            }.joined()
            return """
                <tr><td>\(d["id"]?.intValue ?? 0)</td><td>\(e(d["kind"]?.stringValue ?? ""))</td><td>\(e(d["url"]?.stringValue ?? ""))</td>
                <td class="state">\(e(d["state"]?.stringValue ?? ""))</td><td><pre>\(e(d["payload"]?.serialized() ?? ""))</pre><ul>\(attempts)</ul></td>
                <td><form method="post" action="/_sandbox/ui/replay"><input type="hidden" name="id" value="\(d["id"]?.intValue ?? 0)">
                <input type="hidden" name="back" value="\(e(back))"><button type="submit">Replay</button></form></td></tr>
                """
        }.joined()
        var journal = RequestJournal.Filter()
        journal.provider = provider
        journal.limit = sandbox.journal.capacity
        let requests = sandbox.journal.list(journal).filter { entry in
            (entry["target"]?.stringValue ?? "").contains(id) || (entry["body"]?.serialized() ?? "").contains(id)
                || (entry["response"]?["body"]?.serialized() ?? "").contains(id)
        }.prefix(50).map { r in
            "<tr><td>\(e(r["at"]?.stringValue ?? ""))</td><td>\(e(r["method"]?.stringValue ?? "")) \(e(r["target"]?.stringValue ?? ""))</td>"
                + "<td>\(r["status"]?.intValue ?? 0)</td><td><pre>\(e(r["body"]?.serialized() ?? ""))</pre></td></tr>"
        }.joined()
        let body = """
            <p><a href="/_sandbox/">All payments</a></p>
            <table><tbody>
              <tr><th>Provider</th><td>\(e(provider))</td></tr><tr><th>Id</th><td>\(e(id))</td></tr>
              <tr><th>Account</th><td>\(payment["account"]?.intValue ?? 0)</td></tr>
              <tr><th>Status</th><td class="status">\(e(payment["status"]?.stringValue ?? ""))</td></tr>
              <tr><th>Amount</th><td>\(e(payment["amount"]?.stringValue ?? "")) \(e(payment["currency"]?.stringValue ?? ""))</td></tr>
            </tbody></table>
            <form method="post" action="/_sandbox/ui/outcome">
              <input type="hidden" name="provider" value="\(e(provider))"><input type="hidden" name="id" value="\(e(id))">
              <button type="submit" name="outcome" value="success">Force success</button>
              <label>Failure message <input name="message" value="Declined in the dashboard"></label>
              <button type="submit" name="outcome" value="failure">Force failure</button>
            </form>
            <h2>Timeline</h2><table><thead><tr><th>Sandbox time</th><th>Status</th><th>Note</th></tr></thead><tbody>\(steps)</tbody></table>
            <h2>Callbacks and webhooks</h2>
            <table><thead><tr><th>#</th><th>Kind</th><th>URL</th><th>State</th><th>Payload and attempts</th><th></th></tr></thead>
            <tbody>\(sent.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">None.</td></tr>" : sent)</tbody></table>
            <h2>Requests</h2>
            <table><thead><tr><th>Sandbox time</th><th>Request</th><th>Status</th><th>Body</th></tr></thead>
            <tbody>\(requests.isEmpty ? "<tr><td colspan=\"4\" class=\"muted\">None in the journal.</td></tr>" : requests)</tbody></table>
            """
        return page("\(provider) payment", body, refresh: true)
    }

    // MARK: actions (the control plane's code paths, answered with a redirect)

    private func outcome(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        let key = form["provider"] ?? "", id = form["id"] ?? ""
        guard let provider = sandbox.provider(key) else { return page("Unknown provider", "<p>No provider \(e(key)).</p>", status: 404) }
        let outcome: Outcome
        switch form["outcome"] {
        case "success": outcome = .success
        case "failure": outcome = Outcome(.failure, message: form["message"].flatMap { $0.isEmpty ? nil : $0 })
        default: return page("Choose", "<p>Choose success or failure.</p>", status: 400)
        }
        do {
            try sandbox.store.write { db in try provider.complete(payment: id, with: outcome, db, context) }
        } catch CompletionError.notFound {
            return page("Unknown payment", "<p>No \(e(key)) payment <code>\(e(id))</code>.</p>", status: 404)
        } catch CompletionError.alreadyFinal(let status) {
            return page("Already complete", "<p>This payment is already <strong>\(e(status))</strong>.</p>", status: 409)
        }
        context.wake()
        return .redirect(to: "/_sandbox/payments/\(PercentDecoding.encode(key))/\(PercentDecoding.encode(id))/view", status: 303)
    }

    private func replay(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        guard let id = form["id"].flatMap({ Int64($0) }),
              try sandbox.store.write({ db in try Outbox.replay(db, id: id, now: context.clock.nowMilliseconds()) }) else {
            return page("Unknown delivery", "<p>No such delivery.</p>", status: 404)
        }
        context.wake()
        return .redirect(to: Self.localPath(form["back"]), status: 303)
    }

    private func advance(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let seconds = request.formBody["seconds"].flatMap({ Int($0) }), (0 ... 10 * 366 * 86400).contains(seconds) else {
            return page("Advance", "<p>Give a whole number of seconds.</p>", status: 400)
        }
        _ = try sandbox.scheduler.advance(by: Int64(seconds) * 1000)
        return .redirect(to: "/_sandbox/", status: 303)
    }

    private func reset(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.formBody["confirm"] == "yes" else {
            return page("Reset", "<p>Tick “I am sure” to reset the sandbox. <a href=\"/_sandbox/\">Back</a></p>", status: 400)
        }
        try sandbox.reset()
        return .redirect(to: "/_sandbox/", status: 303)
    }

    /// Only dashboard paths are followed back to (no open redirect).
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/_sandbox/"), !text.contains("//"), !text.contains("\\") else { return "/_sandbox/" }
        return text
    }
}
