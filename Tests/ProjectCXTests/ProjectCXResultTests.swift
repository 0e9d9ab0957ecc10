#if canImport(Glibc)
import Glibc
#endif
import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import ProjectCX

/// A logged-in client of a fresh sandbox, and helpers for the result flow.
private struct Fixture {
    let test: TestSandbox
    let client: TestClient
    let token: String

    init(configureSandbox: (inout SandboxConfiguration) -> Void = { _ in }) throws {
        test = try TestSandbox(providers: [ProjectCXProvider()], configureSandbox: configureSandbox)
        client = try test.client()
        let login = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
        token = try #require(login.json["auth_token"]?.stringValue)
    }

    func create(amount: Int = 10000, callback: String, headers: [(String, String)] = []) throws -> String {
        let response = try client.request("POST", "/projectcx/rest2/payment/create",
                                          headers: [("Authorization", "Bearer \(token)")] + headers,
                                          json: ["amount": .int(amount), "description": "Test Payment", "info": "Payment 1", "callback": .string(callback)])
        #expect(response.status == 200, "\(response.text)")
        return try #require(response.json["orderId"]?.stringValue)
    }

    func outcome(_ id: String, _ body: JSON) throws -> TestResponse {
        try client.request("POST", "/_sandbox/payments/projectcx/\(id)/outcome", json: body)
    }

    func payment(_ id: String) throws -> JSON {
        try client.request("GET", "/_sandbox/payments/projectcx/\(id)").json
    }
}

private func isISOMillis(_ text: String?) -> Bool {
    guard let text else { return false }
    let pattern = Array("0000-00-00T00:00:00.000Z")
    let chars = Array(text)
    guard chars.count == pattern.count else { return false }
    return zip(chars, pattern).allSatisfy { $1 == "0" ? $0.isNumber : $0 == $1 }
}

@Suite struct ProjectCXResultTests {
    @Test func controlPlaneSuccessSendsTheDocumentedCallback() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let id = try f.create(callback: receiver.url)
        #expect(receiver.received.isEmpty)
        #expect(try f.payment(id)["status"] == "pending")
        let response = try f.outcome(id, ["outcome": "success"])
        #expect(response.status == 200)
        #expect(response.json["status"] == "success")
        let received = receiver.wait(for: 1)
        let callback = try #require(received.first)
        #expect(callback.path == "/cb")
        #expect(callback.headers["Content-Type"] == "application/json")
        #expect(callback.headers["X-PaySandbox-Delivery"] != nil)
        guard case .object(let members) = callback.json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["dateSent", "status", "bankTransactionId", "message"])
        #expect(isISOMillis(callback.json["dateSent"]?.stringValue))
        #expect(callback.json["status"] == "Success")
        #expect(callback.json["message"] == "Transaction successful")
        #expect(callback.json["bankTransactionId"]?.stringValue?.allSatisfy(\.isNumber) == true)
        // Delivered, with its attempt logged.
        var delivery = JSON.null
        for _ in 0 ..< 100 {
            delivery = try f.client.request("GET", "/_sandbox/deliveries?provider=projectcx").json["deliveries"]?[0] ?? .null
            if delivery["state"] == "delivered" { break }
            usleep(10_000)
        }
        #expect(delivery["state"] == "delivered")
        #expect(delivery["attempts"]?[0]?["status_code"] == 200)
        #expect(delivery["payload"] == callback.json)
        #expect(try f.outcome(id, ["outcome": "failure"]).status == 409)
    }

    @Test func failureCarriesTheMessage() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let id = try f.create(callback: receiver.url)
        #expect(try f.outcome(id, ["outcome": "failure", "message": "Insufficient funds"]).status == 200)
        let callback = try #require(receiver.wait(for: 1).first)
        #expect(callback.json["status"] == "Failure")
        #expect(callback.json["message"] == "Insufficient funds")
        let timeline = try f.payment(id)["timeline"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
        #expect(timeline == ["pending", "failure"])
    }

    @Test func magicAmountsFail() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        _ = try f.create(amount: 10051, callback: receiver.url)
        let callback = try #require(receiver.wait(for: 1).first)
        #expect(callback.json["status"] == "Failure")
        #expect(callback.json["message"] == "Insufficient funds")
    }

    @Test func outcomeHeaderWithDelayWaitsForTheClock() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let id = try f.create(callback: receiver.url, headers: [("X-PaySandbox-Outcome", #"failure; message="Card \"blocked\""; after=30"#)])
        #expect(try f.client.advance(29).status == 200)
        #expect(receiver.received.isEmpty)
        #expect(try f.payment(id)["status"] == "pending")
        #expect(try f.client.advance(1).status == 200)
        // The advance answered after the callback's attempt was made.
        #expect(receiver.received.count == 1)
        #expect(receiver.received.first?.json["message"] == #"Card "blocked""#)
    }

    @Test func badOutcomeHeaderIsA400() throws {
        let f = try Fixture()
        let response = try f.client.request("POST", "/projectcx/rest2/payment/create",
                                            headers: [("Authorization", "Bearer \(f.token)"), ("X-PaySandbox-Outcome", "maybe")],
                                            json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"])
        #expect(response.status == 400)
        #expect(response.json["message"]?.stringValue?.contains("X-PaySandbox-Outcome") == true)
    }

    @Test func delaySettleModeCompletesOnItsOwn() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let patch = try f.client.request("PATCH", "/_sandbox/accounts/projectcx/1", json: ["settle": ["mode": "delay", "seconds": 60]])
        #expect(patch.status == 200)
        #expect(patch.json["settle"] == ["mode": "delay", "seconds": 60])
        let id = try f.create(callback: receiver.url)
        _ = try f.client.advance(59)
        #expect(receiver.received.isEmpty)
        _ = try f.client.advance(1)
        #expect(receiver.received.first?.json["status"] == "Success")
        #expect(try f.payment(id)["status"] == "success")
    }

    @Test func aReceiverAnswering500ThenGetsItAgain() throws {
        let receiver = try Receiver(statuses: [500])
        let f = try Fixture()
        let id = try f.create(callback: receiver.url)
        _ = try f.outcome(id, ["outcome": "success"])
        receiver.wait(for: 1)
        // Retried after the backoff (5 s ± 10%) on the sandbox clock.
        _ = try f.client.advance(6)
        let received = receiver.wait(for: 2)
        #expect(received.count == 2)
        #expect(received[0].body == received[1].body)
        #expect(received[0].headers["X-PaySandbox-Delivery"] == received[1].headers["X-PaySandbox-Delivery"])
        let all = try f.client.request("GET", "/_sandbox/deliveries?provider=projectcx")
        let delivery = try f.client.request("GET", "/_sandbox/deliveries?provider=projectcx&state=delivered").json["deliveries"]?[0]
        #expect(delivery != nil, "\(all.text)")
        #expect(delivery?["attempts"]?.arrayValue?.compactMap { $0["status_code"]?.intValue } == [500, 200])
    }

    @Test func aRefusedConnectionIsRetriedOnScheduleThenFails() throws {
        // A frozen clock: attempt times are exactly where the schedule put them.
        let f = try Fixture {
            $0.delivery.maxAttempts = 4
            $0.startTime = 1_800_000_000_000
        }
        let id = try f.create(callback: "http://127.0.0.1:\(refusedPort())/cb")
        _ = try f.outcome(id, ["outcome": "success"])
        // Attempts at 0, ~5, ~10, ~20 seconds: advancing a minute goes through them all.
        _ = try f.client.advance(60)
        let delivery = try #require(try f.client.request("GET", "/_sandbox/deliveries").json["deliveries"]?[0])
        #expect(delivery["state"] == "failed")
        let attempts = delivery["attempts"]?.arrayValue ?? []
        #expect(attempts.count == 4)
        #expect(attempts.allSatisfy { $0["status_code"] == .null && $0["error"]?.stringValue?.isEmpty == false })
        // The gaps double: about 5, 10, 20 seconds.
        let times = attempts.compactMap { $0["at"]?.stringValue }.compactMap(Timestamp.parseISO8601)
        let gaps = zip(times.dropFirst(), times).map { Double($0 - $1) / 1000 }
        #expect(gaps.count == 3)
        for (gap, expected) in zip(gaps, [5.0, 10.0, 20.0]) {
            #expect(abs(gap - expected) <= expected * 0.1 + 0.01, "gap \(gap) for \(expected)")
        }
        // Replay sends it again.
        let receiverLater = try f.client.request("POST", "/_sandbox/deliveries/\(delivery["id"]?.intValue ?? 0)/replay")
        #expect(receiverLater.status == 202)
        #expect(receiverLater.json["state"] == "pending")
    }

    @Test func replayResendsADeliveredCallback() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let id = try f.create(callback: receiver.url)
        _ = try f.outcome(id, ["outcome": "success"])
        receiver.wait(for: 1)
        let delivery = try #require(try f.client.request("GET", "/_sandbox/deliveries").json["deliveries"]?[0]?["id"]?.intValue)
        #expect(try f.client.request("POST", "/_sandbox/deliveries/\(delivery)/replay").status == 202)
        #expect(receiver.wait(for: 2).count == 2)
        #expect(try f.client.request("POST", "/_sandbox/deliveries/99999/replay").status == 404)
    }

    @Test func callbackAllowListRefusesOtherHosts() throws {
        let receiver = try Receiver()
        let f = try Fixture { $0.delivery.allowedHosts = ["example.com"] }
        let id = try f.create(callback: receiver.url)
        _ = try f.outcome(id, ["outcome": "success"])
        var delivery: JSON?
        for _ in 0 ..< 100 {
            delivery = try f.client.request("GET", "/_sandbox/deliveries").json["deliveries"]?[0]
            if delivery?["state"] == "failed" { break }
            usleep(10_000)
        }
        #expect(delivery?["state"] == "failed")
        #expect(delivery?["attempts"]?[0]?["error"]?.stringValue?.contains("--callback-allow") == true)
        #expect(receiver.received.isEmpty)
    }

    @Test func thePayerPageApprovesAndRedirects() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let id = try f.create(callback: receiver.url)
        let page = try f.client.request("GET", "/projectcx/payment?orderId=\(id)&returnUrl=https%3A%2F%2Fshop.example%2Fdone%3Fo%3D1")
        #expect(page.status == 200)
        #expect(page["Content-Type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("A$100.00"))
        #expect(page.text.contains("Approve payment"))
        let submit = try f.client.request("POST", "/projectcx/payment", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                          body: Array("orderId=\(id)&return=https%3A%2F%2Fshop.example%2Fdone%3Fo%3D1&decision=approve".utf8))
        #expect(submit.status == 303)
        #expect(submit["Location"] == "https://shop.example/done?o=1")
        #expect(receiver.wait(for: 1).first?.json["status"] == "Success")
        let again = try f.client.request("GET", "/projectcx/payment?orderId=\(id)")
        #expect(again.text.contains("Transaction successful"))
        #expect(!again.text.contains("Approve payment"))
        let twice = try f.client.request("POST", "/projectcx/payment", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                         body: Array("orderId=\(id)&decision=decline".utf8))
        #expect(twice.status == 409)
    }

    @Test func thePayerPageDeclines() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let id = try f.create(callback: receiver.url)
        let submit = try f.client.request("POST", "/projectcx/payment", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                          body: Array("orderId=\(id)&decision=decline".utf8))
        #expect(submit.status == 200)
        #expect(submit.text.contains("declined"))
        #expect(receiver.wait(for: 1).first?.json["status"] == "Failure")
    }

    @Test func thePayerPageRefusesBadInput() throws {
        let f = try Fixture()
        let id = try f.create(callback: "http://127.0.0.1:9/cb")
        #expect(try f.client.request("GET", "/projectcx/payment").status == 400)
        #expect(try f.client.request("GET", "/projectcx/payment?orderId=nope").status == 404)
        #expect(try f.client.request("GET", "/projectcx/payment?orderId=\(id)&return=javascript:alert(1)").status == 400)
        // Both names are read: an empty `return` does not let a bad `returnUrl` through.
        #expect(try f.client.request("GET", "/projectcx/payment?orderId=\(id)&return=&returnUrl=%C2%84").status == 400)
        #expect(try f.client.request("GET", "/projectcx/payment?orderId=\(id)&returnUrl=http://a%5D*/").status == 400)
        let badReturn = try f.client.request("POST", "/projectcx/payment", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                             body: Array("orderId=\(id)&decision=approve&return=&returnUrl=%C2%84".utf8))
        #expect(badReturn.status == 400)
        let noDecision = try f.client.request("POST", "/projectcx/payment", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                              body: Array("orderId=\(id)".utf8))
        #expect(noDecision.status == 400)
        #expect(try f.payment(id)["status"] == "pending")
    }

    @Test func thePayerPageEscapesWhatTheMerchantSent() throws {
        let f = try Fixture()
        let response = try f.client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(f.token)")],
                                            json: ["amount": 100, "description": "<script>alert(1)</script>", "info": "\"quoted\" & 'single'",
                                                   "callback": "http://127.0.0.1:9/cb"])
        let id = try #require(response.json["orderId"]?.stringValue)
        let page = try f.client.request("GET", "/projectcx/payment?orderId=\(id)").text
        #expect(!page.contains("<script>alert(1)</script>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("&quot;quoted&quot; &amp; &#39;single&#39;"))
    }

    @Test func tokensExpireOnTheSandboxClock() throws {
        let f = try Fixture()
        _ = try f.create(callback: "http://127.0.0.1:9/cb")
        _ = try f.client.advance(8399)
        _ = try f.create(callback: "http://127.0.0.1:9/cb")
        _ = try f.client.advance(1)
        let expired = try f.client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(f.token)")],
                                           json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"])
        #expect(expired.status == 401)
        #expect(expired.json["message"] == "Invalid or expired token")
    }

    @Test func theUniformViewListsOrdersNewestFirst() throws {
        let f = try Fixture()
        let first = try f.create(amount: 1234, callback: "http://127.0.0.1:9/cb")
        let second = try f.create(amount: 99, callback: "http://127.0.0.1:9/cb")
        let list = try f.client.request("GET", "/_sandbox/payments?provider=projectcx").json["payments"]?.arrayValue ?? []
        #expect(list.compactMap { $0["id"]?.stringValue } == [second, first])
        let entry = try #require(list.last)
        #expect(entry["provider"] == "projectcx")
        #expect(entry["account"] == 1)
        #expect(entry["status"] == "pending")
        #expect(entry["amount"] == "12.34")
        #expect(entry["currency"] == "AUD")
        #expect(isISOMillis(entry["created_at"]?.stringValue))
        #expect(isISOMillis(entry["updated_at"]?.stringValue))
        #expect(try f.client.request("GET", "/_sandbox/payments?provider=projectcx&status=success").json["payments"] == [])
        #expect(try f.client.request("GET", "/_sandbox/payments?provider=nope").status == 404)
        #expect(try f.client.request("POST", "/_sandbox/payments/projectcx/unknown/outcome", json: ["outcome": "success"]).status == 404)
        #expect(try f.outcome(first, ["outcome": "maybe"]).status == 400)
        #expect(try f.client.request("POST", "/_sandbox/payments/projectcx/\(first)/outcome", body: Array("{".utf8)).status == 400)
    }
}
