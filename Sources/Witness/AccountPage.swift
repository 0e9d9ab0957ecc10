import HTTPServer
import SandboxCore

/// The dashboard's account page (`/_sandbox/accounts/{provider}/{account}/view`): the report as a
/// checklist with its evidence linked, the trial's progress, and each recent payment as a
/// sequence diagram. Server-rendered; the pages' CSP stays (no scripts).
struct AccountPage: Sendable {
    let sandbox: Sandbox
    static let payments = 10

    func render(_ provider: any Provider, _ account: Int, trial: JSON?) throws -> HTTPResponse {
        let history = try Witness.history(sandbox, provider, account)
        let report = Report(history)
        let base = "/_sandbox/accounts/\(PercentDecoding.encode(provider.key))/\(account)"
        let marks = ["pass": "✔", "fail": "✘", "not_exercised": "–", "not_applicable": "·"]
        let checks: [JSON] = report.checks.map { check in
            check.json.merging([
                "mark": .string(marks[check.status.rawValue] ?? ""),
                "evidence": .array(check.evidence.map { evidence(provider.key, $0) }),
            ])
        }
        var view = report.json.merging([
            "checks": .array(checks), "json": .string(base + "/report"),
            "junit": .string(base + "/report?format=junit"),
        ])
        if let trial {
            let situations = (trial["situations"]?.arrayValue ?? []).map { situation in
                situation.merging(["mark": .string(situation["state"] == "met" ? "✔" : "…")])
            }
            view = view.merging(["trial": trial.merging(["situations": .array(situations)])])
        }
        var ids: [String] = []
        for id in (history.calls.reversed().compactMap(\.payment) + history.deliveries.reversed().map(\.payment))
        where !ids.contains(id) && ids.count < Self.payments {
            ids.append(id)
        }
        let diagrams: [JSON] = ids.map { id in
            ["id": .string(id), "href": .string(Self.paymentLink(provider.key, id)),
             "svg": .string(SequenceDiagram(payment: id, calls: history.calls, deliveries: history.deliveries).svg)]
        }
        view = view.merging(["payments": .array(diagrams)])
        return SandboxPage.render(
            "dashboard-account", title: "\(provider.displayName) account \(account)", view,
            layout: ["dashboard": true, "now": .string(sandbox.context.clock.nowISO8601())])
    }

    static func paymentLink(_ provider: String, _ id: String) -> String {
        "/_sandbox/payments/\(PercentDecoding.encode(provider))/\(PercentDecoding.encode(id))/view"
    }

    /// An item of evidence as the page lists it: what it names, linked where it has a page.
    private func evidence(_ provider: String, _ item: JSON) -> JSON {
        let note = item["note"]?.stringValue ?? ""
        if let id = item["delivery"]?.intValue {
            return ["label": .string("delivery \(id)"), "href": .string("/_sandbox/deliveries/\(id)"),
                    "note": .string(note)]
        }
        if let id = item["journal"]?.intValue {
            let payment = item["payment"]?.stringValue
            let href = payment.map { JSON.string(Self.paymentLink(provider, $0)) } ?? .null
            return ["label": .string("request \(id)"), "href": href,
                    "note": .string(note)]
        }
        return ["label": "", "href": .null, "note": .string(note)]
    }
}
