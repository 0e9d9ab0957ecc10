import Foundation
import Synchronization
import Testing
import HTTPServer
import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// Faults on purpose, over real sockets: each fault on each provider's create call, in its
/// own error shape, with nothing changed (or, for a lost answer, everything done once).
@Suite struct FaultTests {
    let test: TestSandbox
    let client: TestClient
    static let basic = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))

    init() throws {
        test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()],
                               configure: { $0.requestTimeout = 1 })
        client = try test.client()
    }

    private func addRule(_ rule: JSON) throws -> Int {
        let r = try client.request("POST", "/_sandbox/faults", json: rule)
        #expect(r.status == 201, "\(r.text)")
        return try #require(r.json["id"]?.intValue)
    }

    private func payments() throws -> Int {
        try client.request("GET", "/_sandbox/payments?limit=1000").json["payments"]?.arrayValue?.count ?? -1
    }

    private func cxToken(_ user: String = "sandbox") throws -> String {
        try client.request("POST", "/projectcx/rest2/login", json: ["username": .string(user), "password": .string(user + "-secret")])
            .json["auth_token"]?.stringValue ?? ""
    }

    /// Each provider's create call, as (provider, documented route, request).
    private func creates() throws -> [(String, String, (TestClient) throws -> TestResponse)] {
        let cx = try cxToken()
        let ac = try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials")
            .json["access_token"]?.stringValue ?? ""
        let px = "/payxtoday/api/v1/1/sandbox-secret"
        let pxClient = try client.request("POST", px + "/clients/create", headers: [formType],
                                          body: Array("name=Ada+Lovelace&id_country=102&e_mail=ada%40example.com".utf8)).json["data"]?["id_client"]?.intValue ?? 0
        let alphacomm = Examples.alphacommCreateRequest.serializedBytes()
        return [
            ("projectcx", "POST /rest2/payment/create", { c in
                try c.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(cx)")],
                              json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"]) }),
            ("paytomat", "POST /api/v1/create_transaction", { c in
                try c.request("POST", "/paytomat/api/v1/create_transaction", headers: [Self.basic],
                              json: ["order_id": "A1", "currency_in": "USD", "currency_out": "BTC", "amount_in": 10]) }),
            ("census", "POST /api/v1/payments/orders", { c in
                try c.request("POST", "/census/api/v1/payments/orders", headers: [formType], body: Array(
                    "person_id=1%40census&description=d&amount=1000&campaign_code=c&payment_method_type=existing_payment_method&payment_method_id=1".utf8)) }),
            ("payxtoday", "POST /api/v1/{id_reseller}/{secret_key}/payments/create", { c in
                try c.request("POST", px + "/payments/create", headers: [formType], body: Array("id_client=\(pxClient)&price=290&period=12".utf8)) }),
            ("alphacomm", "POST /api/paypal/create", { c in
                try c.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(ac)")], body: alphacomm) }),
        ]
    }

    @Test(arguments: [
        (#"{"fault":"error","status":503}"#, "provider is required"),
        (#"{"provider":"nope","fault":"error","status":503}"#, "provider 'nope'"),
        (#"{"provider":"paytomat","route":"POST /api/v1/nothing","fault":"reset"}"#, "no such route"),
        (#"{"provider":"paytomat","route":"create_transaction","fault":"reset"}"#, "route must be"),
        (#"{"provider":"paytomat","fault":"error"}"#, "status is required"),
        (#"{"provider":"paytomat","fault":"error","status":200}"#, "status must be a whole number from 400 to 599"),
        (#"{"provider":"paytomat","fault":"lost_response","attempts":""}"#, "attempts must be a whole number"),
        (#"{"provider":"paytomat","fault":"latency"}"#, "latency_ms is required"),
        (#"{"provider":"paytomat","fault":"explode"}"#, "fault 'explode'"),
        (#"{"provider":"paytomat","fault":"reset","probability":1.5}"#, "probability"),
        (#"{"provider":"paytomat","fault":"reset","count":-1}"#, "count"),
        (#"{"provider":"paytomat","fault":"reset","account":0}"#, "account"),
        (#"{"provider":"paytomat","fault":"reset","seed":"x"}"#, "seed"),
        (#"[1]"#, "JSON object"),
        (#"{"provider":"projectcx","route":"deliveries","fault":"error","status":503}"#, "takes the delivery faults"),
        (#"{"provider":"projectcx","fault":"duplicate"}"#, "give route \"deliveries\""),
        (#"{"provider":"projectcx","route":"deliveries","fault":"delay"}"#, "seconds is required"),
        (#"{"provider":"projectcx","route":"deliveries","fault":"drop_first"}"#, "attempts is required"),
    ])
    func badRulesAreRefusedNamingTheField(body: String, says: String) throws {
        let r = try client.request("POST", "/_sandbox/faults", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        #expect(r.status == 400)
        #expect(r.json["error"]?.stringValue?.contains(says) == true, "\(r.text)")
        #expect(try client.request("GET", "/_sandbox/faults").json == ["faults": []])
    }

    @Test func anErrorIsTheProvidersOwnAndChangesNothing() throws {
        let expected: [String: (Int) -> JSON] = [
            "projectcx": { _ in ["error": "service_unavailable", "message": "Service Unavailable"] },
            "paytomat": { _ in ["error": "Service Unavailable"] },
            "census": { _ in [:] },
            "payxtoday": { _ in ["error": ["message": "Service Unavailable"]] },
            "alphacomm": { _ in ["error": "temporarily_unavailable", "error_description": "Service Unavailable"] },
        ]
        for (provider, route, create) in try creates() {
            let id = try addRule(["provider": .string(provider), "route": .string(route), "fault": "error", "status": 503, "retry_after": 30])
            let before = try payments()
            let r = try create(client)
            #expect(r.status == 503, "\(provider)")
            #expect(r["Retry-After"] == "30", "\(provider)")
            #expect(r.json == expected[provider]?(id), "\(provider): \(r.text)")
            #expect(try payments() == before, "\(provider)")
            let journal = try client.request("GET", "/_sandbox/requests?provider=\(provider)&limit=1").json["requests"]?[0]
            #expect(journal?["fault"] == ["id": .int(id), "kind": "error"], "\(provider)")
            #expect(journal?["status"] == 503)
            #expect(try client.request("DELETE", "/_sandbox/faults/\(id)").status == 200)
            #expect(try create(client).status < 300, "\(provider) after the rule is removed")
        }
        #expect(try client.request("DELETE", "/_sandbox/faults/999").status == 404)
    }

    /// Eight late answers at once (more than the machine has threads to spare): another
    /// request is answered while none of them has come, and all come after the latency, together
    /// (one after another would take 8 s).
    @Test func latencyAnswersLateHoldingNoThread() throws {
        _ = try addRule(["provider": "census", "route": "GET /api/v1/payments/payment_methods/{id}", "fault": "latency", "latency_ms": 1000])
        let started = ContinuousClock.now
        let slow = try (0 ..< 8).map { _ -> TestClient in
            let c = try test.client()
            try c.send("GET /census/api/v1/payments/payment_methods/1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            return c
        }
        #expect(try client.request("GET", "/census/api/v1/payments/payment_methods?person_id=1%40census").status == 200)
        #expect(slow.allSatisfy { !$0.hasArrived })
        for c in slow {
            let r = try c.readResponse()
            #expect(r.status == 200 && r.json["id"] == 1)
        }
        #expect(started.duration(to: .now) >= .milliseconds(950))
        #expect(started.duration(to: .now) < .milliseconds(6000))
        #expect(try client.request("GET", "/_sandbox/faults").json["faults"]?[0]?["fired"] == 8)
    }

    @Test func resetAndTimeoutAnswerNothingAndChangeNothing() throws {
        for (provider, route, create) in try creates() {
            let before = try payments()
            let rule = try addRule(["provider": .string(provider), "route": .string(route), "fault": "reset"])
            let c = try test.client()
            #expect(throws: TestClientError.self) { try create(c) }
            try client.request("DELETE", "/_sandbox/faults/\(rule)")
            let hang = try addRule(["provider": .string(provider), "route": .string(route), "fault": "timeout"])
            let t = try test.client()
            let started = ContinuousClock.now
            #expect(throws: TestClientError.self) { try create(t) }
            // Closed at the server's request timeout (1 s here), not before.
            #expect(started.duration(to: .now) >= .milliseconds(900), "\(provider)")
            try client.request("DELETE", "/_sandbox/faults/\(hang)")
            #expect(try payments() == before, "\(provider)")
        }
    }

    @Test func aLostAnswerIsCarriedOutOnceAndTheRetryMeetsTheProvider() throws {
        let cx = try cxToken()
        _ = try addRule(["provider": "projectcx", "route": "POST /rest2/payment/create", "fault": "lost_response", "count": 1])
        let c = try test.client()
        #expect(throws: TestClientError.self) {
            try c.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(cx)")],
                          json: ["amount": 4200, "callback": "http://127.0.0.1:9/cb"])
        }
        let listed = try client.request("GET", "/_sandbox/payments?provider=projectcx").json["payments"]?.arrayValue ?? []
        #expect(listed.count == 1)
        #expect(listed.first?["amount"] == "42.00")
        // Project CX has no idempotency key: the retry makes a second payment, as it would.
        #expect(try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(cx)")],
                                   json: ["amount": 4200, "callback": "http://127.0.0.1:9/cb"]).status == 200)
        #expect(try client.request("GET", "/_sandbox/payments?provider=projectcx").json["payments"]?.arrayValue?.count == 2)
        // Alphacomm's paymentId makes the retry meet the same payment.
        let ac = try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials")
            .json["access_token"]?.stringValue ?? ""
        _ = try addRule(["provider": "alphacomm", "route": "POST /api/paypal/create", "fault": "lost_response", "count": 1])
        let body = Examples.alphacommCreateRequest.serializedBytes()
        let a = try test.client()
        #expect(throws: TestClientError.self) {
            try a.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(ac)")], body: body)
        }
        let retry = try client.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(ac)")], body: body)
        #expect(retry.status == 200)
        #expect(retry.json["state"] == "accepted")
        #expect(try client.request("GET", "/_sandbox/payments?provider=alphacomm").json["payments"]?.arrayValue?.count == 1)
    }

    /// Latency and a lost answer on every provider's create: late but whole; carried out once
    /// with no answer.
    @Test func latencyAndLostAnswersOnEveryProvider() throws {
        for (provider, route, create) in try creates() {
            let slow = try addRule(["provider": .string(provider), "route": .string(route), "fault": "latency", "latency_ms": 300])
            let started = ContinuousClock.now
            #expect(try create(client).status < 300, "\(provider)")
            #expect(started.duration(to: .now) >= .milliseconds(290), "\(provider)")
            try client.request("DELETE", "/_sandbox/faults/\(slow)")
            let before = try payments()
            _ = try addRule(["provider": .string(provider), "route": .string(route), "fault": "lost_response", "count": 1])
            let c = try test.client()
            #expect(throws: TestClientError.self) { try create(c) }
            // (Alphacomm's request repeats the fixture's paymentId: the same payment, as before.)
            #expect(try payments() == before + (provider == "alphacomm" ? 0 : 1), "\(provider)")
            let journal = try client.request("GET", "/_sandbox/requests?provider=\(provider)&limit=1").json["requests"]?[0]
            #expect(journal?["fault"]?["kind"] == "lost_response", "\(provider)")
            #expect((journal?["status"]?.intValue ?? 0) < 300, "\(provider): the journal has what was carried out")
        }
    }

    /// A route names the documented one whatever the method's case and the parameter's name
    /// (`:product` as a router writes it, `{anything}`); a seed written 7.0 is 7.
    @Test func aRouteIsTheDocumentedOneHoweverItIsWritten() throws {
        _ = try addRule(["provider": "paytomat", "route": "put /api/v1/product/:product", "fault": "error", "status": 503,
                         "seed": .number("7.0")])
        let put = try client.request("PUT", "/paytomat/api/v1/product/5", headers: [Self.basic], json: ["amount": 1])
        #expect(put.status == 503)
        let other = try client.request("POST", "/_sandbox/faults", json: ["provider": "paytomat", "route": "Put //api/v1/product/{x}/",
                                                                          "fault": "reset"])
        #expect(other.status == 201, "\(other.text)")
    }

    @Test func aSeededRuleFiresOnTheSameRequestsEveryRun() throws {
        func run() throws -> [Int] {
            _ = try client.request("POST", "/_sandbox/reset")
            _ = try addRule(["provider": "census", "fault": "error", "status": 500, "probability": .number("0.5"), "seed": 42])
            return try (0 ..< 24).map { _ in try client.request("GET", "/census/api/v1/payments/payment_methods/1").status }
        }
        let first = try run()
        #expect(try run() == first)
        #expect(first.contains(500) && first.contains(200))
        #expect(try client.request("GET", "/_sandbox/faults").json["faults"]?[0]?["fired"]?.intValue == first.filter { $0 == 500 }.count)
    }

    @Test func rulesKeepToTheirAccountCountAndLife() throws {
        _ = try addRule(["provider": "paytomat", "account": 2, "fault": "error", "status": 502])
        let two = ("Authorization", "Basic " + Base64.encode(Array("sandbox2:sandbox2-secret".utf8)))
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [Self.basic]).status == 200)
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [two]).status == 502)
        _ = try addRule(["provider": "payxtoday", "fault": "error", "status": 500, "count": 2])
        let statuses = try (0 ..< 4).map { _ in try client.request("GET", "/payxtoday/api/v1/1/sandbox-secret/options").status }
        #expect(statuses == [500, 500, 200, 200])
        let listed = try client.request("GET", "/_sandbox/faults").json["faults"]?.arrayValue ?? []
        #expect(listed.map { $0["expired"] } == [false, true])
        #expect(try client.request("DELETE", "/_sandbox/faults").json == ["faults": []])
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [two]).status == 200)
        _ = try addRule(["provider": "paytomat", "fault": "reset"])
        _ = try client.request("POST", "/_sandbox/reset")
        #expect(try client.request("GET", "/_sandbox/faults").json == ["faults": []])
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [Self.basic]).status == 200)
    }

    /// Requests keep coming on another connection while the rule is removed: every request
    /// sent after the DELETE answered is served normally.
    @Test func aRuleRemovedUnderLoadStopsFiring() throws {
        let id = try addRule(["provider": "census", "fault": "error", "status": 503])
        let path = "/census/api/v1/payments/payment_methods/1"
        let log = Mutex<[(ContinuousClock.Instant, Int)]>([])
        let load = Load(port: test.port) { c in
            let sent = ContinuousClock.now
            guard let r = try? c.request("GET", path) else { return }
            log.withLock { $0.append((sent, r.status)) }
        }
        #expect(waitUntil(seconds: 10) { log.withLock { $0.contains { $0.1 == 503 } } })
        #expect(try client.request("DELETE", "/_sandbox/faults/\(id)").status == 200)
        let removed = ContinuousClock.now
        #expect(load.waitFor(20))
        load.stop()
        let seen = log.withLock { $0 }
        #expect(seen.contains { $0.0 < removed && $0.1 == 503 })
        let after = seen.filter { $0.0 > removed }
        #expect(!after.isEmpty && after.allSatisfy { $0.1 == 200 })
    }

    @Test func theHeaderFaultsOneCall() throws {
        let r = try client.request("GET", "/payxtoday/api/v1/1/sandbox-secret/options", headers: [("X-PaySandbox-Fault", "error; status=502; retry_after=5")])
        #expect(r.status == 502)
        #expect(r["Retry-After"] == "5")
        #expect(r.json == ["error": ["message": "Bad Gateway"]])
        #expect(try client.request("GET", "/payxtoday/api/v1/1/sandbox-secret/options").status == 200)
        let bad = try client.request("GET", "/paytomat/api/v1/currencies", headers: [Self.basic, ("X-PaySandbox-Fault", "error")])
        #expect(bad.status == 400)
        #expect(bad.json["error"]?.stringValue?.contains("status is required") == true)
        // The header offers only what it can do: a delivery fault is a rule's.
        let unknown = try client.request("GET", "/paytomat/api/v1/currencies", headers: [Self.basic, ("X-PaySandbox-Fault", "bogus")])
        #expect(unknown.json["error"] == "X-PaySandbox-Fault: fault 'bogus' is not one of error, latency, reset, timeout, lost_response")
        let c = try test.client()
        #expect(throws: TestClientError.self) {
            try c.request("GET", "/paytomat/api/v1/currencies", headers: [Self.basic, ("X-PaySandbox-Fault", "reset")])
        }
        let journal = try client.request("GET", "/_sandbox/requests?provider=paytomat&limit=1").json["requests"]?[0]
        #expect(journal?["fault"] == ["id": .null, "kind": "reset"])
    }

    // MARK: deliveries

    /// A Project CX order of `user`'s account with its callback to `receiver`, completed now.
    private func completedOrder(_ receiver: Receiver, user: String = "sandbox") throws -> String {
        let created = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(try cxToken(user))")],
                                         json: ["amount": 100, "callback": .string(receiver.url + "/" + user)])
        let id = try #require(created.json["orderId"]?.stringValue)
        #expect(try client.request("POST", "/_sandbox/payments/projectcx/\(id)/outcome", json: ["outcome": "success"]).status == 200)
        return id
    }

    private func delivery(_ payment: String) throws -> JSON {
        try client.request("GET", "/_sandbox/deliveries?payment=\(payment)").json["deliveries"]?[0] ?? .null
    }

    @Test func aDuplicatedCallbackArrivesTwiceWithOneDeliveryID() throws {
        let receiver = try Receiver()
        let rule = try addRule(["provider": "projectcx", "route": "deliveries", "fault": "duplicate"])
        let id = try completedOrder(receiver)
        let arrived = receiver.wait(for: 2)
        #expect(arrived.count == 2)
        #expect(Set(arrived.compactMap { $0.headers["X-PaySandbox-Delivery"] }).count == 1)
        #expect(arrived.first?.body == arrived.last?.body)
        var d = try delivery(id)
        try waitUntil(seconds: 3) { d = try delivery(id); return d["state"] == "delivered" }
        #expect(d["attempts"]?.arrayValue?.count == 2)
        #expect(d["fault"] == ["id": .int(rule), "kind": "duplicate"])
        // An hour on: whatever was still due has been attempted when the advance answers.
        _ = try client.advance(3600)
        #expect(receiver.received.count == 2)
    }

    @Test func aDelayedCallbackWaitsForTheSandboxClock() throws {
        let receiver = try Receiver()
        _ = try addRule(["provider": "projectcx", "route": "deliveries", "fault": "delay", "seconds": 120])
        let id = try completedOrder(receiver)
        // Everything due by then has been attempted when the advance answers.
        _ = try client.advance(119)
        #expect(receiver.received.isEmpty)
        #expect(try delivery(id)["attempts"] == [])
        _ = try client.advance(1)
        #expect(receiver.wait(for: 1).count == 1)
        #expect(try delivery(id)["fault"]?["kind"] == "delay")
    }

    @Test func droppedAttemptsAreLoggedThenRetriedOnTheUsualSchedule() throws {
        let receiver = try Receiver()
        _ = try addRule(["provider": "projectcx", "account": 1, "route": "deliveries", "fault": "drop_first", "attempts": 2])
        let id = try completedOrder(receiver)
        // Account 2's callbacks are not the rule's.
        _ = try completedOrder(receiver, user: "sandbox2")
        #expect(receiver.wait(for: 1).map(\.path) == ["/cb/sandbox2"])
        var d = try delivery(id)
        try waitUntil(seconds: 3) { d = try delivery(id); return d["attempts"]?.arrayValue?.count == 1 }
        #expect(d["attempts"]?[0]?["error"]?.stringValue?.hasPrefix("dropped by fault rule") == true)
        _ = try client.advance(60)
        let arrived = receiver.wait(for: 2)
        #expect(arrived.filter { $0.path == "/cb/sandbox" }.count == 1)
        d = try delivery(id)
        #expect(d["state"] == "delivered")
        #expect(d["attempts"]?.arrayValue?.map { $0["status_code"] } == [.null, .null, 200])
    }
}
