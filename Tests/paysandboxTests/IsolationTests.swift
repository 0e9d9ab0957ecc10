import Foundation
import Testing
import HTTPServer
import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// Account 2 against account 1, across every provider in one sandbox: each call that names
/// one of account 1's objects is refused, no list or total includes them, and nothing of
/// account 1 changes. Tokens are long, never repeat, and expire on the sandbox clock.
/// (Census has no accounts: it is one organisation's service, open to its allowed IPs.)
@Suite struct IsolationTests {
    let test: TestSandbox
    let client: TestClient
    let form = ("Content-Type", "application/x-www-form-urlencoded")
    static let paytomat1 = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
    static let paytomat2 = ("Authorization", "Basic " + Base64.encode(Array("sandbox2:sandbox2-secret".utf8)))

    init() throws {
        test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()])
        client = try test.client()
    }

    private func projectCXToken(_ user: String = "sandbox") throws -> String {
        try client.request("POST", "/projectcx/rest2/login", json: ["username": .string(user), "password": .string(user + "-secret")]).json["auth_token"]?.stringValue ?? ""
    }

    private func alphacommToken(_ id: String = "sandbox") throws -> String {
        try client.request("GET", "/alphacomm/oauth/v2/token?client_id=\(id)&client_secret=\(id)-secret&grant_type=client_credentials").json["access_token"]?.stringValue ?? ""
    }

    private func paytomatJWT(_ auth: (String, String)) throws -> String {
        try client.request("GET", "/paytomat/api/v1/token", headers: [auth]).json["token"]?.stringValue ?? ""
    }

    private func payxtoday(_ method: String, _ path: String, reseller: Int, _ fields: String = "") throws -> TestResponse {
        let base = "/payxtoday/api/v1/\(reseller)/\(reseller == 1 ? "sandbox-secret" : "sandbox2-secret")/\(path)"
        return method == "GET" ? try client.request("GET", base + (fields.isEmpty ? "" : "?" + fields))
                               : try client.request(method, base, headers: [formType], body: Array(fields.utf8))
    }

    private func uniform(_ provider: String, _ id: String) throws -> JSON {
        try client.request("GET", "/_sandbox/payments/\(provider)/\(id)").json
    }

    /// `POST /_sandbox/accounts` answers each provider's own names for the credentials
    /// (beside `login` / `secret`) and its API's base URL, and both work as answered.
    @Test func freshAccountsSpeakTheirProvidersWords() throws {
        func fresh(_ provider: String) throws -> JSON {
            let created = try client.request("POST", "/_sandbox/accounts", json: ["provider": .string(provider)])
            #expect(created.status == 201)
            return created.json
        }
        let base = "http://localhost"  // the test client sends Host: localhost
        let cx = try fresh("projectcx")
        #expect(cx["username"] == cx["login"] && cx["password"] == cx["secret"])
        #expect(cx["api_url"]?.stringValue == base + "/projectcx/rest2")
        #expect(try client.request("POST", "/projectcx/rest2/login", json: ["username": cx["username"] ?? .null,
                                                                           "password": cx["password"] ?? .null]).status == 200)
        let pt = try fresh("paytomat")
        let (user, password) = (try #require(pt["username"]?.stringValue), try #require(pt["password"]?.stringValue))
        #expect(pt["login"]?.stringValue == user && pt["secret"]?.stringValue == password)
        #expect(pt["api_url"]?.stringValue == "http://\(user):\(password)@localhost/paytomat/api/v1")
        let basic = ("Authorization", "Basic " + Base64.encode(Array("\(user):\(password)".utf8)))
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [basic]).status == 200)
        let ac = try fresh("alphacomm")
        let (id, secret) = (try #require(ac["client_id"]?.stringValue), try #require(ac["client_secret"]?.stringValue))
        #expect(ac["api_url"]?.stringValue == base + "/alphacomm")
        #expect(try client.request("GET", "/alphacomm/oauth/v2/token?client_id=\(id)&client_secret=\(secret)&grant_type=client_credentials")
            .json["access_token"] != nil)
        let px = try fresh("payxtoday")
        #expect(px["id_reseller"] != nil && px["secret_key"] != nil)
        #expect(px["id_reseller"] == px["login"] && px["secret_key"] == px["secret"])
        let census = try fresh("census")
        #expect(census["username"] == nil && census["client_id"] == nil)
        #expect(census["api_url"]?.stringValue == base + "/census/api/v1")
    }

    @Test func theSecondAccountNeverReachesTheFirstAccountsObjects() throws {
        // Account 1's objects, one per provider, each completed so that totals count them.
        let order = try #require(client.request(
            "POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(try projectCXToken())")],
            json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"]).json["orderId"]?.stringValue)
        let tx = try #require(client.request(
            "POST", "/paytomat/api/v1/create_transaction", headers: [Self.paytomat1],
            json: ["ref": 7, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100]).json["id"]?.intValue)
        _ = try client.request("POST", "/_sandbox/payments/paytomat/\(tx)/outcome", json: ["outcome": "success"])
        let product = try #require(client.request(
            "POST", "/paytomat/api/v1/create_product", headers: [Self.paytomat1],
            json: ["title": "P", "amount": 1, "currency": "USD", "unit": "single"]).json["id"]?.intValue)
        let customer = try #require(payxtoday(
            "POST", "clients/create", reseller: 1, "name=A&id_country=102&e_mail=a%40example.com").json["data"]?["id_client"]?.intValue)
        let payment = try #require(payxtoday("POST", "payments/create", reseller: 1, "id_client=\(customer)&price=5&period=1").json["data"])
        let paymentID = try #require(payment["id_payment"]?.intValue), uuid = try #require(payment["uuid_payment"]?.stringValue)
        let alphacommID = "0f8fad5b-d9cb-469f-a165-70867728950e"
        let alphacommBody = try JSON.parse(Examples.alphacommCreateRequest.serialized().replacingOccurrences(
            of: "31e5fa51-2475-455d-b0ad-5febd25434c5", with: alphacommID))
        #expect(try client.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(try alphacommToken())")], json: alphacommBody).status == 200)
        let before = try [uniform("projectcx", order), uniform("paytomat", String(tx)), uniform("payxtoday", String(paymentID)), uniform("alphacomm", alphacommID)]

        // Account 2 of each, by every way it can authenticate.
        let jwt2 = ("Authorization", "Bearer \(try paytomatJWT(Self.paytomat2))")
        let alpha2 = ("Authorization", "Bearer \(try alphacommToken("sandbox2"))")
        var refused: [(String, TestResponse, Int)] = []
        for auth in [Self.paytomat2, jwt2] {
            let p = "/paytomat/api/v1/"
            refused += [
                ("paytomat transaction", try client.request("GET", p + "transaction?id=\(tx)", headers: [auth]), 404),
                ("paytomat cancel", try client.request("POST", p + "cancel_transaction", headers: [auth], json: ["id": .number(String(tx))]), 404),
                ("paytomat chargeback", try client.request("POST", p + "chargeback_transaction", headers: [auth], json: ["id": .number(String(tx))]), 404),
                ("paytomat product", try client.request("GET", p + "product?id=\(product)", headers: [auth]), 404),
                ("paytomat product update", try client.request("PUT", p + "product/\(product)", headers: [auth], json: ["amount": 9]), 404),
            ]
            let list = try client.request("GET", p + "transactions", headers: [auth]).json
            #expect(list["transactions"] == [], "account 2 lists no transactions")
            let balance = try client.request("GET", p + "balance", headers: [auth]).json["balance"]?.objectValue ?? []
            #expect(!balance.isEmpty && balance.allSatisfy { $0.1 == .number("0") }, "account 2's balance is all zero: \(balance)")
        }
        refused += [
            ("payxtoday client", try payxtoday("GET", "clients", reseller: 2, "id_client=\(customer)"), 404),
            ("payxtoday find by e-mail", try payxtoday("GET", "clients/find/email", reseller: 2, "email=a%40example.com"), 404),
            ("payxtoday client update", try payxtoday("POST", "clients/update", reseller: 2, "id_client=\(customer)&name=B"), 404),
            ("payxtoday client delete", try payxtoday("POST", "clients/delete", reseller: 2, "id_client=\(customer)"), 404),
            ("payxtoday client's payments", try payxtoday("GET", "payments", reseller: 2, "id_client=\(customer)"), 404),
            ("payxtoday payment by id", try payxtoday("GET", "payments/id", reseller: 2, "id_payment=\(paymentID)"), 404),
            ("payxtoday payment by uuid", try payxtoday("GET", "payments/uuid", reseller: 2, "uuid_payment=\(uuid)"), 404),
            ("payxtoday payment delete", try payxtoday("POST", "payments/delete", reseller: 2, "id_payment=\(paymentID)"), 404),
            ("payxtoday payment for their client", try payxtoday("POST", "payments/create", reseller: 2, "id_client=\(customer)&price=1&period=1&id_payment_system=1"), 422),
            ("payxtoday wrong key for reseller 1", try client.request("GET", "/payxtoday/api/v1/1/sandbox2-secret/options"), 401),
            ("alphacomm status", try client.request("GET", "/alphacomm/api/paypal/status/\(alphacommID)", headers: [alpha2]), 404),
            ("alphacomm capture", try client.request("GET", "/alphacomm/api/paypal/capture/\(alphacommID)", headers: [alpha2]), 404),
            ("alphacomm create with their paymentId", try client.request("POST", "/alphacomm/api/paypal/create", headers: [alpha2], json: alphacommBody), 409),
            ("projectcx login as account 1 with account 2's password",
             try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox2-secret"]), 401),
        ]
        for (label, response, status) in refused {
            #expect(response.status == status, "\(label): \(response.status) \(response.text)")
        }
        // Nothing of account 1 moved.
        let after = try [uniform("projectcx", order), uniform("paytomat", String(tx)), uniform("payxtoday", String(paymentID)), uniform("alphacomm", alphacommID)]
        #expect(after == before)
        #expect(try payxtoday("GET", "clients", reseller: 1, "id_client=\(customer)").json["data"]?["name"] == "A")
        // Account 2's own work is account 2's: the uniform view files it there.
        let theirs = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(try projectCXToken("sandbox2"))")],
                                        json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"]).json["orderId"]?.stringValue ?? ""
        #expect(try uniform("projectcx", theirs)["account"] == 2)
        #expect(try uniform("projectcx", order)["account"] == 1)
        let accountTwo = try client.request("GET", "/_sandbox/payments?account=2").json["payments"]?.arrayValue ?? []
        #expect(accountTwo.map { $0["id"]?.stringValue ?? "" } == [theirs])
    }

    /// Tokens come from the system's cryptographic generator (getrandom, through Swift's
    /// SystemRandomNumberGenerator) unless `--seed` is given: none repeats, each carries at
    /// least 128 random bits, and each expires on the sandbox clock. (Paytomat's JWT is
    /// signed, not random: HS256 with a 32-byte random secret; forged ones are refused in
    /// PaytomatAuthTests.)
    @Test func tokensAreLongNeverRepeatAndExpire() throws {
        var seen = Set<String>()
        for _ in 0 ..< 50 {
            let tokens = [try projectCXToken(), try alphacommToken()]
            for token in tokens { #expect(seen.insert(token).inserted, "a token repeated") }
            #expect(tokens[0].count >= 32)  // 24 random bytes
            #expect(tokens[1].count >= 64)  // 32 random bytes as hex, then base64
        }
        let projectCX = try projectCXToken(), alphacomm = try alphacommToken(), jwt = try paytomatJWT(Self.paytomat1)
        let create = { (token: String) in
            try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                               json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"]).status
        }
        #expect(try create(projectCX) == 200)
        _ = try client.advance(3601)
        #expect(try client.request("GET", "/alphacomm/api/paypal/status/0f8fad5b-d9cb-469f-a165-70867728950e",
                                   headers: [("Authorization", "Bearer \(alphacomm)")]).json["error"] == "invalid_grant")
        _ = try client.advance(4800)
        #expect(try create(projectCX) == 401)
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [("Authorization", "Bearer \(jwt)")]).status == 200)
        _ = try client.advance(86400)
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [("Authorization", "Bearer \(jwt)")]).status == 401)
    }
}
