import Foundation
import Testing
import HTTPServer
@testable import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// The control plane, the dashboard and the payer pages against another site's pages and
/// against strangers on the network: each rule refuses what it must and lets the legitimate
/// request through.
@Suite struct SecurityTests {
    static let all: [any Provider] = [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()]

    private func sandbox(_ admin: AdminAccess = AdminAccess()) throws -> (TestSandbox, TestClient) {
        let test = try TestSandbox(providers: Self.all) { $0.admin = admin }
        return (test, try test.client())
    }

    private func cxOrder(_ client: TestClient) throws -> String {
        let token = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
            .json["auth_token"]?.stringValue ?? ""
        let created = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                         json: ["amount": 1000, "callback": "http://127.0.0.1:9/cb"])
        return try #require(created.json["orderId"]?.stringValue)
    }

    private func status(_ client: TestClient, _ id: String) throws -> String? {
        try client.request("GET", "/_sandbox/payments/projectcx/\(id)").json["status"]?.stringValue
    }

    // MARK: admin token

    @Test func theAdminTokenGuardsEveryControlPlaneCallButHealth() throws {
        let token = "s3cret-Token_42"
        let (test, client) = try sandbox(AdminAccess(token: token))
        defer { withExtendedLifetime(test) {} }
        let refused = try client.request("GET", "/_sandbox/payments")
        #expect(refused.status == 401)
        #expect(refused.headers.values("WWW-Authenticate").contains("Basic realm=\"PaySandbox\", charset=\"UTF-8\""))
        #expect(refused.headers.values("WWW-Authenticate").contains("Bearer realm=\"PaySandbox\""))
        #expect(refused.json["error"]?.stringValue?.contains("Authorization: Bearer") == true)
        #expect(try client.request("GET", "/_sandbox/payments", headers: [("Authorization", "Bearer \(token)")]).status == 200)
        // Basic with the token as the password, any user name: what a browser sends for the dashboard.
        for user in ["admin", "", "anyone"] {
            let basic = "Basic " + Base64.encode(Array("\(user):\(token)".utf8))
            #expect(try client.request("GET", "/_sandbox/", headers: [("Authorization", basic)]).status == 200, "\(user)")
        }
        #expect(try client.request("GET", "/_sandbox/").status == 401)
        #expect(try client.request("POST", "/_sandbox/reset").status == 401)
        #expect(try client.request("GET", "/_sandbox/nowhere").status == 401)
        #expect(try client.request("GET", "/_sandbox/census/persons/1%40census").status == 401)
        // Health stays open (load balancers, the Docker health check); so do the providers.
        #expect(try client.request("GET", "/_sandbox/health").status == 200)
        #expect(try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"]).status == 200)
        #expect(try client.request("GET", "/alphacomm/paypal/approve/nope").status == 404)
    }

    @Test(arguments: [
        "Bearer ", "Bearer  ", "Bearer s3cret-Token_4", "Bearer s3cret-Token_42x", "Bearer s3cret Token_42", "Token s3cret-Token_42",
        "Basic czNjcmV0LVRva2VuXzQy", "Basic !!!", "Basic ", "bearer", "Bearer " + String(repeating: "A", count: 6000),
        "Basic " + Base64.encode(Array("admin:s3cret-Token_43".utf8)), "Digest username=\"x\"",
    ])
    func badAuthorizationIsA401(header: String) throws {
        let (test, client) = try sandbox(AdminAccess(token: "s3cret-Token_42"))
        defer { withExtendedLifetime(test) {} }
        let r = try client.request("GET", "/_sandbox/requests", headers: [("Authorization", header)])
        #expect(r.status == 401)
        #expect(r.json["error"] != nil)
    }

    @Test func bearerTokenCaseOfTheSchemeDoesNotMatter() throws {
        let (test, client) = try sandbox(AdminAccess(token: "tok"))
        defer { withExtendedLifetime(test) {} }
        #expect(try client.request("GET", "/_sandbox/clock", headers: [("Authorization", "bearer tok")]).status == 200)
        #expect(try client.request("GET", "/_sandbox/clock", headers: [("Authorization", "BEARER tok")]).status == 200)
    }

    /// The comparison walks every byte whatever differs first: counted, not timed.
    @Test func theTokenComparisonLooksAtEveryByte() {
        final class Counter: @unchecked Sendable { var reads = 0 }
        struct Counting: Collection {
            let bytes: [UInt8]
            let counter: Counter
            var startIndex: Int { 0 }
            var endIndex: Int { bytes.count }
            func index(after i: Int) -> Int { i + 1 }
            subscript(i: Int) -> UInt8 {
                counter.reads += 1
                return bytes[i]
            }
        }
        let secret = Array("0123456789abcdef0123456789abcdef".utf8)
        for guess in ["X123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdeX", "0123456789abcdef0123456789abcdef",
                      "X", "0123456789abcdef0123456789abcdef0123"] {
            let counter = Counter()
            let equal = constantTimeEquals(Counting(bytes: Array(guess.utf8), counter: counter), secret)
            #expect(equal == (guess == "0123456789abcdef0123456789abcdef"))
            #expect(counter.reads == guess.utf8.count, "\(guess)")
        }
    }

    // MARK: cross-site writes

    @Test func anotherSitesPageCannotWriteToTheControlPlane() throws {
        let (test, client) = try sandbox()
        defer { withExtendedLifetime(test) {} }
        let id = try cxOrder(client)
        let crossSite: [[(String, String)]] = [
            [("Origin", "http://evil.example")], [("Sec-Fetch-Site", "cross-site")], [("Sec-Fetch-Site", "same-site")],
            [("Origin", "http://localhost:8080")], [("Origin", "null")], [("Sec-Fetch-Site", "cross-site"), ("Origin", "http://localhost")],
        ]
        for headers in crossSite {
            let reset = try client.request("POST", "/_sandbox/reset", headers: headers)
            #expect(reset.status == 403, "\(headers)")
            #expect(reset.json["error"]?.stringValue?.hasPrefix("cross-site request refused") == true)
            #expect(try client.request("POST", "/_sandbox/payments/projectcx/\(id)/outcome", headers: headers,
                                       json: ["outcome": "success"]).status == 403)
            #expect(try client.request("POST", "/_sandbox/ui/reset", headers: headers + [formType],
                                       body: Array("confirm=yes".utf8)).status == 403)
        }
        #expect(try status(client, id) == "pending")
        // The sandbox's own pages, curl and server-side clients.
        for headers: [(String, String)] in [[("Sec-Fetch-Site", "same-origin"), ("Origin", "http://localhost")], [("Origin", "http://localhost")],
                                           [("Sec-Fetch-Site", "none")], []] {
            #expect(try client.request("POST", "/_sandbox/clock/advance", headers: headers, json: ["seconds": 1]).status == 200, "\(headers)")
        }
        #expect(try client.request("POST", "/_sandbox/payments/projectcx/\(id)/outcome", headers: [("Sec-Fetch-Site", "same-origin")],
                                   json: ["outcome": "success"]).status == 200)
        // Reads are not writes: a cross-site GET is answered (but without CORS, see below).
        #expect(try client.request("GET", "/_sandbox/clock", headers: [("Sec-Fetch-Site", "cross-site")]).status == 200)
    }

    @Test func anotherSitesPageCannotSubmitAPayersForm() throws {
        let (test, client) = try sandbox()
        defer { withExtendedLifetime(test) {} }
        let id = try cxOrder(client)
        let body = Array("orderId=\(id)&decision=approve&return=https%3A%2F%2Fshop.example%2Fdone".utf8)
        let refused = try client.request("POST", "/projectcx/payment", headers: [formType, ("Origin", "http://evil.example")], body: body)
        #expect(refused.status == 403)
        #expect(refused["Content-Type"]?.hasPrefix("text/html") == true)
        #expect(try status(client, id) == "pending")
        #expect(try client.request("POST", "/projectcx/payment", headers: [formType, ("Sec-Fetch-Site", "cross-site")], body: body).status == 403)
        let own = try client.request("POST", "/projectcx/payment", headers: [formType, ("Sec-Fetch-Site", "same-origin")], body: body)
        #expect(own.status == 303)
        #expect(own["Location"] == "https://shop.example/done")
        #expect(try status(client, id) == "success")
        // Every other payer page's action, refused the same way.
        for path in ["/paytomat/pay/X", "/paytomat/pay/tx/X", "/census/gateway/pay/complete", "/payxtoday/pay/X", "/alphacomm/paypal/approve/X"] {
            let r = try client.request("POST", path, headers: [formType, ("Sec-Fetch-Site", "cross-site")], body: Array("a=b".utf8))
            #expect(r.status == 403, "\(path)")
        }
    }

    /// Census's `form.action` receives the shop's own auto-submitted form, as the real
    /// gateway does; the card page it shows then posts only to the sandbox.
    @Test func censusFormActionTakesTheShopsFormAndItsCardPageIsProtected() throws {
        let (test, client) = try sandbox()
        defer { withExtendedLifetime(test) {} }
        let order = try client.request("POST", "/census/api/v1/payments/orders", headers: [formType], body: Array(
            ("person_id=3%40census&description=Cuota&amount=1500&campaign_code=c&payment_method_type=credit_card_external"
             + "&return_url=https%3A%2F%2Fshop.example%2Fpago%2F__RESULT__").utf8))
        #expect(order.status == 202)
        let fields = try #require(order.json["form"]?["fields"]?.objectValue)
        let encoded = Array(fields.map { "\($0.0)=\(PercentDecoding.encode($0.1.stringValue ?? ""))" }.joined(separator: "&").utf8)
        let shop = [formType, ("Origin", "https://shop.example"), ("Sec-Fetch-Site", "cross-site")]
        let card = try client.request("POST", "/census/gateway/pay", headers: shop, body: encoded)
        #expect(card.status == 200)
        let csp = try #require(card["Content-Security-Policy"])
        #expect(csp.contains("form-action 'self' https://shop.example"))
        let token = fields.first { $0.0 == "token" }?.1.stringValue ?? ""
        let pay = Array("order_id=\(fields.first { $0.0 == "order_id" }?.1.stringValue ?? "")&token=\(token)&card_number=4548812049400004&expiry_month=12&expiry_year=2030&action=pay".utf8)
        #expect(try client.request("POST", "/census/gateway/pay/complete", headers: shop, body: pay).status == 403)
        let done = try client.request("POST", "/census/gateway/pay/complete", headers: [formType, ("Sec-Fetch-Site", "same-origin")], body: pay)
        #expect(done.status == 303)
        #expect(done["Location"] == "https://shop.example/pago/ok")
    }

    // MARK: DNS rebinding

    @Test func theControlPlaneAnswersOnlyToTheNamesItServes() throws {
        let (test, client) = try sandbox(AdminAccess(publicHosts: ["Sandbox.Team.Example"], boundHost: "devbox"))
        defer { withExtendedLifetime(test) {} }
        for host in ["evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "sandbox.team.example.evil"] {
            let r = try client.request("GET", "/_sandbox/payments", headers: [("Host", host)])
            #expect(r.status == 403, "\(host)")
            #expect(r.json["error"]?.stringValue?.contains("--public-host") == true, "\(host)")
            #expect(try client.request("POST", "/_sandbox/reset", headers: [("Host", host)]).status == 403)
        }
        for host in ["localhost", "localhost:8080", "LOCALHOST", "localhost.", "127.0.0.1:9", "[::1]:8080", "[::1]", "10.0.0.7",
                     "sandbox.team.example", "SANDBOX.TEAM.EXAMPLE.:443", "devbox:8080", "app.localhost"] {
            #expect(try client.request("GET", "/_sandbox/clock", headers: [("Host", host)]).status == 200, "\(host)")
        }
        // A proxy's X-Forwarded-Host counts only when it is one of them.
        #expect(try client.request("GET", "/_sandbox/clock", headers: [("X-Forwarded-Host", "evil.example")]).status == 403)
        #expect(try client.request("GET", "/_sandbox/clock", headers: [("X-Forwarded-Host", "sandbox.team.example")]).status == 200)
        // The providers' APIs keep answering whatever name a client uses.
        #expect(try client.request("GET", "/census/api/v1/payments/payment_methods/1", headers: [("Host", "evil.example")]).status == 200)
    }

    // MARK: CORS

    @Test func theControlPlaneNeverAnswersCORS() throws {
        let (test, client) = try sandbox()
        defer { withExtendedLifetime(test) {} }
        let origin = ("Origin", "http://evil.example")
        for path in ["/_sandbox/requests", "/_sandbox/health", "/_sandbox/", "/_sandbox/nowhere", "/_sandbox/openapi/census.json"] {
            let r = try client.request("GET", path, headers: [origin])
            #expect(r["Access-Control-Allow-Origin"] == nil, "\(path)")
        }
        let preflight = try client.request("OPTIONS", "/_sandbox/reset", headers: [origin, ("Access-Control-Request-Method", "POST")])
        #expect(preflight.status == 403)
        #expect(preflight["Access-Control-Allow-Origin"] == nil)
        #expect(preflight["Access-Control-Allow-Methods"] == nil)
        let encoded = try client.request("OPTIONS", "/%5Fsandbox/reset", headers: [origin, ("Access-Control-Request-Method", "POST")])
        #expect(encoded["Access-Control-Allow-Origin"] == nil)
        // The providers keep --cors-origin (browser front ends).
        let api = try client.request("GET", "/census/api/v1/payments/payment_methods/1", headers: [origin])
        #expect(api["Access-Control-Allow-Origin"] == "*")
        let apiPreflight = try client.request("OPTIONS", "/projectcx/rest2/login", headers: [origin, ("Access-Control-Request-Method", "POST")])
        #expect(apiPreflight.status == 204)
        #expect(apiPreflight["Access-Control-Allow-Origin"] == "*")
    }

    // MARK: page headers

    @Test func everyPageForbidsFramingSniffingAndReferrers() throws {
        let (test, client) = try sandbox()
        defer { withExtendedLifetime(test) {} }
        let id = try cxOrder(client)
        let pages = ["/_sandbox/", "/_sandbox/payments/projectcx/\(id)/view", "/projectcx/payment?orderId=\(id)&return=https%3A%2F%2Fshop.example%2Fr",
                     "/projectcx/payment?orderId=nope", "/paytomat/pay/nope", "/payxtoday/pay/nope", "/alphacomm/paypal/approve/nope"]
        for path in pages {
            let r = try client.request("GET", path)
            guard r["Content-Type"]?.hasPrefix("text/html") == true else { continue }
            let csp = try #require(r["Content-Security-Policy"], "\(path)")
            #expect(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"), "\(path)")
            #expect(!csp.contains("script-src"), "\(path)")
            #expect(r["X-Content-Type-Options"] == "nosniff", "\(path)")
            #expect(r["Referrer-Policy"] == "no-referrer", "\(path)")
            #expect(r["X-Frame-Options"] == "DENY", "\(path)")
        }
        let cx = try client.request("GET", "/projectcx/payment?orderId=\(id)&return=https%3A%2F%2Fshop.example%3A8443%2Fr")
        #expect(cx["Content-Security-Policy"]?.contains("form-action 'self' https://shop.example:8443;") == true)
    }

    @Test func aRefusedPolicyOriginCannotBreakOutOfThePolicy() {
        #expect(SandboxPage.origin("https://shop.example:8443/x?y") == "https://shop.example:8443")
        #expect(SandboxPage.origin("https://user:pw@Shop.Example/") == "https://shop.example")
        #expect(SandboxPage.origin("https://a.example;script-src *") == nil)
        #expect(SandboxPage.origin("javascript:alert(1)") == nil)
        #expect(SandboxPage.origin("") == nil)
    }
}
