#if canImport(Glibc)
import Glibc
#endif
import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import ProjectCX

/// The dashboard at /_sandbox/, driven through Project CX payments.
@Suite struct DashboardTests {

    private func order(_ client: TestClient, description: String = "Test", callback: String = "http://127.0.0.1:9/cb") throws -> String {
        let token = try client.projectCXToken()
        let created = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                         json: ["amount": 1234, "description": .string(description), "callback": .string(callback)])
        return try #require(created.json["orderId"]?.stringValue)
    }

    /// The dashboard lists fault rules, adds the common ones (through the control plane's
    /// checks) and removes them; a payment's page marks the requests a fault touched.
    @Test func faultsAreListedAddedRemovedAndMarked() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        #expect(try client.request("GET", "/_sandbox/").text.contains("None: every provider behaves."))
        let added = try client.request("POST", "/_sandbox/ui/faults/add", headers: [formType], body: Array("provider=projectcx&kind=lost".utf8))
        #expect(added.status == 303)
        let rules = try client.request("GET", "/_sandbox/faults").json["faults"]?.arrayValue ?? []
        #expect(rules.count == 1)
        #expect(rules.first?["route"] == "POST /rest2/payment/create")
        #expect(rules.first?["fault"] == "lost_response")
        let page = try client.request("GET", "/_sandbox/").text
        #expect(page.contains("<td class=\"wrap\">POST /rest2/payment/create</td><td>lost_response</td><td>0</td><td>live</td>"))
        #expect(try client.request("POST", "/_sandbox/ui/faults/add", headers: [formType], body: Array("provider=nope&kind=down".utf8)).status == 400)
        #expect(try client.request("POST", "/_sandbox/ui/faults/add", headers: [formType], body: Array("provider=projectcx&kind=x".utf8)).status == 400)
        let id = try #require(rules.first?["id"]?.intValue)
        #expect(try client.request("POST", "/_sandbox/ui/faults/remove", headers: [formType], body: Array("id=\(id)".utf8)).status == 303)
        #expect(try client.request("GET", "/_sandbox/faults").json == ["faults": []])
        #expect(try client.request("POST", "/_sandbox/ui/faults/remove", headers: [formType], body: Array("id=\(id)".utf8)).status == 404)
        // A request a fault touched is marked on the payment's page.
        _ = try client.request("POST", "/_sandbox/ui/faults/add", headers: [formType], body: Array("provider=projectcx&kind=slow".utf8))
        let id2 = try order(client)
        let detail = try client.request("GET", "/_sandbox/payments/projectcx/\(id2)/view").text
        #expect(detail.contains("(fault: latency)"))
    }

    @Test func theListShowsPaymentsAndFilters() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        #expect(try client.request("GET", "/")["Location"] == "/_sandbox/")
        let empty = try client.request("GET", "/_sandbox/")
        #expect(empty.status == 200)
        #expect(empty["Content-Type"] == "text/html; charset=utf-8")
        #expect(empty.text.contains("No payments yet."))
        #expect(empty.text.contains("http-equiv=\"refresh\""))
        #expect(empty.text.contains("<a href=\"/_sandbox/?refresh=off\">Stop refreshing</a>"))
        let paused = try client.request("GET", "/_sandbox/?status=x&refresh=off").text
        #expect(!paused.contains("http-equiv=\"refresh\""))
        #expect(paused.contains("<a href=\"/_sandbox/?status=x\">Refresh every 5 s</a>"))
        #expect(paused.contains("<input type=\"hidden\" name=\"refresh\" value=\"off\">"))
        let id = try order(client)
        let list = try client.request("GET", "/_sandbox/").text
        #expect(list.contains(id))
        #expect(list.contains("12.34 AUD"))
        #expect(!(try client.request("GET", "/_sandbox/?status=success").text.contains(id)))
        #expect(try client.request("GET", "/_sandbox/?q=\(id.prefix(8))").text.contains(id))
        #expect(!(try client.request("GET", "/_sandbox/?q=zzzz").text.contains(id)))
        // The search covers every payment, not only the newest page of them.
        try test.sandbox.store.write { db in
            for i in 0 ..< 250 {
                try Payments.record(db, provider: "projectcx", id: "bulk-\(i)", account: 1, status: "pending", amount: "1.00",
                                    currency: "AUD", at: Int64(9_000_000_000_000 + i))
            }
        }
        #expect(try client.request("GET", "/_sandbox/?q=\(id)").text.contains(id))
        #expect(!(try client.request("GET", "/_sandbox/").text.contains(id)))
    }

    @Test func aPaymentsPageActsAndShowsItsStory() throws {
        let receiver = try Receiver()
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let id = try order(client, description: "<script>alert('x')</script>", callback: receiver.url)
        let view = "/_sandbox/payments/projectcx/\(id)/view"
        let before = try client.request("GET", view)
        #expect(before.status == 200)
        #expect(before.text.contains("pending"))
        #expect(!before.text.contains("<script>alert('x')</script>"))
        #expect(before.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        let forced = try client.request("POST", "/_sandbox/ui/outcome", headers: [formType],
                                        body: Array("provider=projectcx&id=\(id)&outcome=failure&message=Card+blocked".utf8))
        #expect(forced.status == 303)
        #expect(forced["Location"] == view)
        receiver.wait(for: 1)
        var after = ""
        for _ in 0 ..< 100 {
            after = try client.request("GET", view).text
            if after.contains("delivered") { break }
            usleep(10_000)
        }
        #expect(after.contains("failure"))
        #expect(after.contains("Card blocked"))
        #expect(after.contains("delivered"))
        let delivery = try #require(try client.request("GET", "/_sandbox/deliveries").json["deliveries"]?[0]?["id"]?.intValue)
        let replayed = try client.request("POST", "/_sandbox/ui/replay", headers: [formType], body: Array("id=\(delivery)&back=\(PercentDecoding.encode(view))".utf8))
        #expect(replayed.status == 303)
        #expect(replayed["Location"] == view)
        #expect(receiver.wait(for: 2).count == 2)
        #expect(try client.request("POST", "/_sandbox/ui/replay", headers: [formType], body: Array("id=\(delivery)&back=https%3A%2F%2Fevil.example".utf8))["Location"] == "/_sandbox/")
        #expect(try client.request("POST", "/_sandbox/ui/outcome", headers: [formType], body: Array("provider=projectcx&id=\(id)&outcome=success".utf8)).status == 409)
        #expect(try client.request("GET", "/_sandbox/payments/projectcx/nope/view").status == 404)
    }

    @Test func clockAndResetFromTheDashboard() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let id = try order(client)
        let before = try client.request("GET", "/_sandbox/clock").json["advanced_seconds"]
        #expect(try client.request("POST", "/_sandbox/ui/advance", headers: [formType], body: Array("seconds=90".utf8)).status == 303)
        #expect(try client.request("GET", "/_sandbox/clock").json["advanced_seconds"] != before)
        #expect(try client.request("POST", "/_sandbox/ui/advance", headers: [formType], body: Array("seconds=soon".utf8)).status == 400)
        let unconfirmed = try client.request("POST", "/_sandbox/ui/reset", headers: [formType], body: [])
        #expect(unconfirmed.status == 400)
        #expect(try client.request("GET", "/_sandbox/").text.contains(id))
        #expect(try client.request("POST", "/_sandbox/ui/reset", headers: [formType], body: Array("confirm=yes".utf8)).status == 303)
        #expect(!(try client.request("GET", "/_sandbox/").text.contains(id)))
    }

    /// Snapshots are listed, taken, downloaded and restored (after "I am sure") from the dashboard.
    @Test func snapshotsFromTheDashboard() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        #expect(try client.request("GET", "/_sandbox/").text.contains("None yet: take one"))
        let kept = try order(client)
        let taken = try client.request(
            "POST", "/_sandbox/ui/snapshots/take", headers: [formType], body: Array("name=one-order".utf8))
        #expect(taken.status == 303)
        let page = try client.request("GET", "/_sandbox/").text
        #expect(page.contains("<tr class=\"snapshot\"><td>one-order</td>"))
        #expect(page.contains("<a href=\"/_sandbox/snapshots/one-order/file\" download>Download</a>"))
        #expect(try client.request("GET", "/_sandbox/snapshots/one-order/file").body.starts(with: Array("SQLite format 3".utf8)))
        let bad = try client.request("POST", "/_sandbox/ui/snapshots/take", headers: [formType], body: Array("name=../x".utf8))
        #expect(bad.status == 400)
        #expect(try client.request("POST", "/_sandbox/ui/snapshots/take", headers: [formType], body: Array("name=one-order".utf8))
            .status == 400)
        let later = try order(client)
        let unconfirmed = try client.request(
            "POST", "/_sandbox/ui/snapshots/restore", headers: [formType], body: Array("name=one-order".utf8))
        #expect(unconfirmed.status == 400)
        #expect(unconfirmed.text.contains("I am sure"))
        #expect(try client.request("GET", "/_sandbox/").text.contains(later))
        let restored = try client.request(
            "POST", "/_sandbox/ui/snapshots/restore", headers: [formType], body: Array("name=one-order&confirm=yes".utf8))
        #expect(restored.status == 303)
        let after = try client.request("GET", "/_sandbox/").text
        #expect(after.contains(kept) && !after.contains(later))
        #expect(try client.request("POST", "/_sandbox/ui/snapshots/restore", headers: [formType],
                                   body: Array("name=none&confirm=yes".utf8)).status == 404)
    }
}
