import Foundation
import HTTPServer
import Paytomat
import SandboxCore
import Testing
import TestSupport

/// `/_sandbox/inbox/{name}`: the callback catcher for trying the sandbox without an app.
@Suite struct InboxTests {
    static let basic = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))

    /// A Paytomat transaction whose postback goes to `url`, completed through the control plane.
    static func paidTransaction(_ client: TestClient, callback url: String, control: [(String, String)] = []) throws
        -> String {
        let created = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [basic], json: [
            "ref": 125, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100, "callback_url": .string(url),
        ])
        let id = try #require(created.json["id"]?.intValue)
        let outcome = try client.request("POST", "/_sandbox/payments/paytomat/\(id)/outcome", headers: control,
                                         json: ["outcome": "success"])
        #expect(outcome.status == 200)
        return String(id)
    }

    @Test func aFreshAccountsCallbacksArriveInItsInbox() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let account = try client.request("POST", "/_sandbox/accounts", json: ["provider": "paytomat"]).json
        let inbox = try #require(account["inbox_url"]?.stringValue)
        #expect(inbox == "http://localhost/_sandbox/inbox/paytomat-3")  // on the port the request came in on (Host: localhost)
        let url = "http://127.0.0.1:\(test.port)/_sandbox/inbox/paytomat-3"
        let id = try Self.paidTransaction(client, callback: url)

        var received: [JSON] = []
        #expect(try waitUntil(seconds: 10) {
            received = try client.request("GET", "/_sandbox/inbox/paytomat-3").json["received"]?.arrayValue ?? []
            return !received.isEmpty
        })
        let postback = try #require(received.first)
        #expect(postback["method"] == "POST")
        #expect(postback["target"] == "/_sandbox/inbox/paytomat-3")
        #expect(postback["answered"] == 200)
        #expect(postback["json"]?["tx_id"] == .number(id))
        #expect(postback["json"]?["tx_status"] == "success")
        #expect(postback["at"]?.stringValue?.hasSuffix("Z") == true)
        let headers = try #require(postback["headers"]?.arrayValue)
        #expect(headers.contains { $0[0]?.stringValue?.lowercased() == "x-paysandbox-delivery" })
        // The delivery counts as delivered.
        #expect(try waitUntil(seconds: 10) {
            try client.request("GET", "/_sandbox/deliveries?provider=paytomat").json["deliveries"]?[0]?["state"]
                == "delivered"
        })
    }

    @Test func anAskedStatusShowsTheRetries() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()]) { $0.delivery.baseDelaySeconds = 0.05 }
        let client = try test.client()
        _ = try Self.paidTransaction(client, callback: "http://127.0.0.1:\(test.port)/_sandbox/inbox/flaky?status=503")
        var received: [JSON] = []
        #expect(try waitUntil(seconds: 10) {
            received = try client.request("GET", "/_sandbox/inbox/flaky").json["received"]?.arrayValue ?? []
            return received.count >= 2
        })
        #expect(received.allSatisfy { $0["answered"] == 503 })
        #expect(received.map { $0["json"]?["tx_id"] }.allSatisfy { $0 == received.first?["json"]?["tx_id"] })
        let ids = received.compactMap { $0["id"]?.intValue }
        #expect(ids.count == received.count && ids == ids.sorted(by: >), "newest first")
        let delivery = try client.request("GET", "/_sandbox/deliveries?provider=paytomat").json["deliveries"]?[0]
        #expect(delivery?["state"] == "pending")
        #expect(delivery?["attempts"]?[0]?["status_code"] == 503)
    }

    @Test func itAnswersListsClearsAndRefusesBadNames() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let posted = try client.request("POST", "/_sandbox/inbox/try-it?status=202", headers: [("Content-Type", "text/plain")],
                                        body: Array("hello".utf8))
        #expect(posted.status == 202)
        #expect(posted.json == ["inbox": "try-it", "received": 1])
        #expect(try client.request("PUT", "/_sandbox/inbox/try-it", json: ["a": 1]).status == 200)
        let list = try client.request("GET", "/_sandbox/inbox/try-it").json
        #expect(list["received"]?.arrayValue?.map { $0["method"] } == ["PUT", "POST"])
        #expect(list["received"]?[1]?["body"] == "hello")
        #expect(list["received"]?[1]?["json"] == nil)
        #expect(list["received"]?[0]?["json"] == ["a": 1])
        // The dashboard shows it.
        let page = try client.request("GET", "/_sandbox/").text
        #expect(page.contains("<a href=\"/_sandbox/inbox/try-it\">try-it</a>"))
        #expect(page.contains("<code>hello</code>"))

        for (path, message) in [
            ("/_sandbox/inbox/try-it?status=99", "status must be"), ("/_sandbox/inbox/try-it?status=204", "status must be"),
            ("/_sandbox/inbox/a%20b", "an inbox's name"), ("/_sandbox/inbox/" + String(repeating: "x", count: 65), "an inbox's name"),
        ] {
            let refused = try client.request("POST", path, json: [:])
            #expect(refused.status == 400, "\(path)")
            #expect(refused.json["error"]?.stringValue?.contains(message) == true, "\(path)")
        }
        #expect(try client.request("DELETE", "/_sandbox/inbox/try-it").json["received"] == [])
        #expect(try client.request("GET", "/_sandbox/inbox/try-it").json["received"] == [])
        _ = try client.request("POST", "/_sandbox/inbox/again", json: [:])
        #expect(try client.request("POST", "/_sandbox/reset").status == 200)
        #expect(try client.request("GET", "/_sandbox/inbox/again").json["received"] == [])
    }

    @Test func itKeepsTheLastHundredOfFiftyInboxes() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        for n in 1 ... 105 { _ = try client.request("POST", "/_sandbox/inbox/busy", json: ["n": .int(n)]) }
        let kept = try #require(try client.request("GET", "/_sandbox/inbox/busy").json["received"]?.arrayValue)
        #expect(kept.count == 100)
        #expect(kept.first?["json"] == ["n": 105])
        #expect(kept.last?["json"] == ["n": 6])
        for n in 1 ... 50 { _ = try client.request("POST", "/_sandbox/inbox/box-\(n)", json: [:]) }
        #expect(try client.request("GET", "/_sandbox/inbox/busy").json["received"] == [])
        #expect(try client.request("GET", "/_sandbox/inbox/box-1").json["received"]?.arrayValue?.count == 1)
    }

    /// Beyond loopback anyone may post to an inbox (a provider's sender has no token), but only
    /// the token reads or clears it, and no other site's page posts to it.
    @Test func deliveriesNeedNoTokenButReadingDoes() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()]) { $0.admin = AdminAccess(token: "tok") }
        let client = try test.client()
        let bearer = ("Authorization", "Bearer tok")
        #expect(try client.request("POST", "/_sandbox/inbox/shared", json: ["x": 1]).status == 200)
        #expect(try client.request("PATCH", "/_sandbox/inbox/shared", json: ["x": 2]).status == 200)
        #expect(try client.request("GET", "/_sandbox/inbox/shared").status == 401)
        #expect(try client.request("DELETE", "/_sandbox/inbox/shared").status == 401)
        #expect(try client.request("POST", "/_sandbox/inbox/shared/more", json: [:]).status == 401)
        #expect(try client.request("POST", "/_sandbox/inbox/shared", headers: [("Origin", "https://evil.example")],
                                   json: [:]).status == 403)
        #expect(try client.request("POST", "/_sandbox/inbox/shared", headers: [("Host", "evil.example")],
                                   json: [:]).status == 403)
        // The sandbox's own postback, sent without a token, arrives.
        _ = try Self.paidTransaction(client, callback: "http://127.0.0.1:\(test.port)/_sandbox/inbox/shared",
                                     control: [bearer])
        #expect(try waitUntil(seconds: 10) {
            try client.request("GET", "/_sandbox/inbox/shared", headers: [bearer]).json["received"]?.arrayValue?.count == 3
        })
    }
}
