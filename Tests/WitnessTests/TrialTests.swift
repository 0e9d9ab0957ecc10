import Foundation
import Testing
import Alphacomm
import Census
import HTTPServer
import Paytomat
import ProjectCX
import SandboxCore
import TestSupport

@Suite struct TrialTests {
    @Test func aSeedGivesTheSameSequenceAndThePlanEndsByItself() throws {
        var orders: [[JSON]] = []
        for _ in 0..<2 {
            let test = try TestSandbox(providers: [PaytomatProvider()])
            let armed = try test.client().request("POST", "/_sandbox/accounts/paytomat/2/trials",
                                                  json: ["plan": "outages", "seed": 42])
            #expect(armed.status == 201)
            let situations = try #require(armed.json["situations"]?.arrayValue)
            orders.append(try situations.map { try #require($0["situation"]) })
        }
        #expect(orders[0] == orders[1])
        #expect(Set(orders[0].compactMap(\.stringValue)) == ["create-503-retry-after", "create-answer-lost", "create-timeout", "token-refused"])
        let other = try TestSandbox(providers: [PaytomatProvider()])
        let differently = try other.client().request("POST", "/_sandbox/accounts/paytomat/2/trials",
                                                     json: ["plan": "all", "seed": 43]).json["situations"]?.arrayValue
        #expect(differently?.count == 8)

        // Each create of account 2 meets the next situation; account 1 meets none.
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        _ = try client.request("POST", "/_sandbox/accounts/paytomat/2/trials", json: ["plan": "outages", "seed": 42])
        let rules = try #require(client.request("GET", "/_sandbox/faults").json["faults"]?.arrayValue)
        #expect(rules.allSatisfy { $0["account"] == 2 && $0["count"] == 1 })
        func create(_ user: String) -> Int {
            let answer = try? TestClient(port: test.port, timeoutSeconds: 1).request(
                "POST", "/paytomat/api/v1/create_transaction", headers: [basic(user, user + "-secret")],
                json: ["ref": 1, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
            guard let answer else { return 0 }  // no answer: lost, or never given
            return answer.status
        }
        #expect(create("sandbox") == 200)
        var seen: [Int] = []
        for _ in 0..<4 { seen.append(create("sandbox2")) }
        let expected: [String: Int] = ["create-503-retry-after": 503, "create-answer-lost": 0, "create-timeout": 0,
                                       "token-refused": 401]
        #expect(seen == orders[0].compactMap { $0.stringValue.flatMap { expected[$0] } })
        let state = try client.request("GET", "/_sandbox/accounts/paytomat/2/trials").json
        #expect(state["done"] == true)
        #expect(state["situations"]?.arrayValue?.allSatisfy { $0["state"] == "met" } == true)
        #expect(create("sandbox2") == 200, "the plan ended")
        // A new plan may start once one is done.
        #expect(try client.request("POST", "/_sandbox/accounts/paytomat/2/trials", json: ["plan": "callbacks"]).status == 201)
    }

    @Test func aRunningTrialIsShownCancelledAndNotArmedTwice() throws {
        let test = try TestSandbox(providers: [PaytomatProvider(), AlphacommProvider()])
        let client = try test.client()
        let path = "/_sandbox/accounts/paytomat/1/trials"
        #expect(try client.request("GET", path).status == 404)
        #expect(try client.request("POST", path, json: ["plan": "callbacks", "seed": 1]).status == 201)
        let state = try client.request("GET", path).json
        #expect(state["done"] == false)
        #expect(state["plan"] == "callbacks")
        #expect(state["situations"]?.arrayValue?.map { $0["state"] } == ["waiting", "waiting", "waiting", "waiting"])
        #expect(try client.request("POST", path, json: ["plan": "all"]).status == 409)
        #expect(try client.request("DELETE", path).json["cancelled"] == true)
        #expect(try client.request("GET", "/_sandbox/faults").json["faults"] == [])
        #expect(try client.request("GET", path).status == 404)
        #expect(try client.request("DELETE", path).status == 404)
        #expect(try client.request("POST", path, json: ["plan": "sometimes"]).status == 400)
        #expect(try client.request("POST", path, json: ["plan": "all", "seed": -1]).status == 400)
        #expect(try client.request("POST", "/_sandbox/accounts/paytomat/9/trials", json: ["plan": "all"]).status == 404)
        let none = try client.request("POST", "/_sandbox/accounts/alphacomm/1/trials", json: ["plan": "callbacks"])
        #expect(none.status == 400)
        #expect(none.json["error"]?.stringValue?.contains("sends no callback") == true)
    }
}

@Suite struct ReportFormatTests {
    @Test func notApplicableChecksSayWhy() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider(), CensusProvider()])
        let client = try test.client()
        let projectcx = try client.request("GET", "/_sandbox/accounts/projectcx/1/report").json
        let rechecked = projectcx["checks"]?.arrayValue?.first { $0["id"] == "status-rechecked" }
        #expect(rechecked?["status"] == "not_applicable")
        #expect(rechecked?["advice"]?.stringValue?.contains("forge") == true)
        let census = try client.request("GET", "/_sandbox/accounts/census/1/report").json
        #expect(census["summary"]?["not_applicable"] == 5)
        #expect(census["summary"]?["not_exercised"] == 4)
        #expect(try client.request("GET", "/_sandbox/accounts/census/2/report").status == 404)
        #expect(try client.request("GET", "/_sandbox/accounts/nope/1/report").status == 404)
        #expect(try client.request("GET", "/_sandbox/accounts/census/1/report?format=pdf").status == 400)
    }

    @Test func junitAndARestartedReport() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        _ = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [basic("sandbox", "sandbox-secret")],
                               json: ["ref": 1, "currency_in": "USD", "currency_out": "BTC", "amount_in": -1])
        let xml = try client.request("GET", "/_sandbox/accounts/paytomat/1/report?format=junit")
        #expect(xml["Content-Type"] == "application/xml; charset=utf-8")
        #expect(xml.text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"paysandbox.paytomat.account1\" tests=\"9\" failures=\"1\" skipped=\"8\">"))
        #expect(xml.text.contains("<testcase classname=\"paysandbox.paytomat.account1\" name=\"requests-valid: No call is refused for bad input\">\n    <failure message=\"Fix what each refused call sent"))
        #expect(xml.text.contains("&quot;journal&quot;:1"), "the evidence, escaped")
        #expect(xml.text.contains("<skipped message=\"not_exercised: No token was fetched yet.\"/>"))
        let restarted = try client.request("POST", "/_sandbox/accounts/paytomat/1/report/reset")
        #expect(restarted.status == 200)
        let report = try client.request("GET", "/_sandbox/accounts/paytomat/1/report").json
        #expect(report["since"] == restarted.json["since"])
        #expect(report["summary"] == ["pass": 0, "fail": 0, "not_exercised": 9, "not_applicable": 0])
        _ = try client.request("GET", "/paytomat/api/v1/balance", headers: [basic("sandbox", "sandbox-secret")])
        let after = try client.request("GET", "/_sandbox/accounts/paytomat/1/report").json
        #expect(after["checks"]?.arrayValue?.first { $0["id"] == "requests-valid" }?["status"] == "pass")
    }

    @Test func theAccountPageDrawsTheChecklistAndEachPayment() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let receiver = try Receiver()
        _ = try client.request("PATCH", "/_sandbox/accounts/paytomat/1", json: ["timing": ["confirmation_seconds": 0]])
        _ = try client.request("POST", "/_sandbox/faults", json: ["provider": "paytomat", "route": "deliveries",
                                                                    "fault": "duplicate", "count": 1])
        _ = try client.request("POST", "/paytomat/api/v1/create_transaction",
                               headers: [basic("sandbox", "sandbox-secret"), ("X-PaySandbox-Outcome", "success; after=0")],
                               json: ["ref": 1, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100,
                                      "callback_url": .string(receiver.url)])
        receiver.wait(for: 2)
        _ = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [basic("sandbox", "sandbox-secret")],
                               json: ["ref": "<i>2</i>"])
        let page = try client.request("GET", "/_sandbox/accounts/paytomat/1/view")
        #expect(page.status == 200)
        #expect(page["Content-Security-Policy"]?.contains("default-src 'none'") == true)
        #expect(!page.text.contains("<script"))
        #expect(page.text.components(separatedBy: "<tr class=\"check check-").count == 10, "nine checks")
        #expect(page.text.contains("<tr class=\"check check-fail\">"))
        #expect(page.text.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"sequence\""))
        #expect(page.text.contains("POST /api/v1/create_transaction → 200"))
        #expect(page.text.contains("⚡ fault: duplicate"))
        #expect(!page.text.contains("<i>2</i>"), "what a client sent is escaped")
        #expect(try client.request("GET", "/_sandbox/accounts/paytomat/7/view").status == 404)
    }
}
