import Foundation
import Synchronization
import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import PayXToday

private struct Fixture {
    let test: TestSandbox
    let client: TestClient

    init() throws {
        test = try TestSandbox(providers: [PayXTodayProvider()])
        client = try test.client()
    }

    func api(_ method: String, _ path: String, reseller: Int = 1, key: String = "sandbox-secret", _ fields: [(String, String)] = []) throws -> TestResponse {
        let base = "/payxtoday/api/v1/\(reseller)/\(key)/\(path)"
        if method == "GET" {
            return try client.request("GET", fields.isEmpty ? base : base + "?" + String(decoding: form(fields), as: UTF8.self))
        }
        return try client.request(method, base, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form(fields))
    }

    func newClient(reseller: Int = 1, email: String = "test@example.com") throws -> Int {
        let key = reseller == 1 ? "sandbox-secret" : "sandbox2-secret"
        let r = try api("POST", "clients/create", reseller: reseller, key: key, [("name", "Test Test"), ("id_country", "102"), ("e_mail", email)])
        return try #require(r.json["data"]?["id_client"]?.intValue)
    }

    func newPayment(client: Int, extra: [(String, String)] = []) throws -> JSON {
        try api("POST", "payments/create", [("id_client", String(client)), ("price", "290"), ("period", "12")] + extra).json["data"] ?? .null
    }

    func pay(_ uuid: String, card: String = "4692 7900 0000 3815", headers: [(String, String)] = []) throws -> TestResponse {
        try client.request("POST", "/payxtoday/pay/\(uuid)", headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers,
                           body: form([("card_number", card), ("card_exp", "07/25"), ("card_cvc", "123")]))
    }
}

@Suite struct PayXTodayRoutesTests {
    @Test func wrongResellerOrKeyIsTheDocumentedError() throws {
        let f = try Fixture()
        for (reseller, key) in [(1, "Vw32papADe"), (2, "sandbox-secret"), (9, "sandbox-secret")] {
            let r = try f.api("GET", "options", reseller: reseller, key: key)
            #expect(r.status == 401)
            #expect(r.json == ["error": ["message": .string("Not correct secret key reseller \(key)")]])
        }
        #expect(try f.client.request("GET", "/payxtoday/api/v1/x/sandbox-secret/options").status == 401)
    }

    @Test func optionsCountriesAndPaymentSystems() throws {
        let f = try Fixture()
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: [
            "name": "testSite", "notifications": ["email": "ops@example.com", "telegram": "5236985236"],
            "callback": ["payments": ["success": "https://mysite.com/payments/success/{UUID}"]],
        ])
        let options = try f.api("GET", "options").json["data"]
        #expect(options?["reseller"] == 1)
        #expect(options?["key"] == "sandbox-secret")
        #expect(options?["name"] == "testSite")
        #expect(options?["notifications"] == ["email": "ops@example.com", "telegram": "5236985236"])
        #expect(options?["callback"] == ["payments": ["success": "https://mysite.com/payments/success/{UUID}", "error": nil]])
        #expect(options?["webhook"] == ["payments": ["success": nil, "error": nil]])
        let countries = try #require(try f.api("GET", "countries").json["data"]?.arrayValue)
        #expect(countries.count == 249)
        #expect(countries.first == ["id": 1, "name": "United States of America", "iso_3166_1": "US", "short_name": "USA"])
        #expect(countries.contains(["id": 102, "name": "Norway", "iso_3166_1": "NO", "short_name": "Norvegia"]))
        #expect(try f.api("GET", "payment-systems").json == ["data": ["reseller": 1, "payment_systems": [["id_payment_system": 1, "name": "CP LAM MSC TV"]]]])
        #expect(try f.api("GET", "payment-systems", reseller: 2, key: "sandbox2-secret").json["data"]?["payment_systems"]?.arrayValue?.count == 2)
        #expect(try f.api("POST", "countries").status == 405)
    }

    // MARK: clients

    @Test func clientLifeCycle() throws {
        let f = try Fixture()
        let created = try f.api("POST", "clients/create", [("name", "Test Test"), ("id_country", "102"), ("e_mail", "test@example.com"), ("description", "test info")])
        #expect(created.status == 200)
        let data = try #require(created.json["data"])
        guard case .object(let members) = data else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["reseller", "id_client", "name", "country", "city", "postal_code", "address", "phone", "e_mail", "description", "created_at"])
        #expect(data["country"] == ["id": 102, "name": "Norway", "iso_3166_1": "NO", "short_name": "Norvegia"])
        #expect(data["city"] == .null)
        #expect(data["created_at"]?.stringValue?.count == 19)
        let id = try #require(data["id_client"]?.intValue)
        #expect(try f.api("GET", "clients", [("id_client", String(id))]).json["data"] == data)
        #expect(try f.api("GET", "clients/find/email", [("email", "TEST@example.com")]).json["data"]?["id_client"] == .int(id))
        // Only the fields sent change.
        let updated = try f.api("POST", "clients/update", [("id_client", String(id)), ("city", "Oslo"), ("id_country", "2")]).json["data"]
        #expect(updated?["city"] == "Oslo")
        #expect(updated?["country"]?["iso_3166_1"] == "AT")
        #expect(updated?["name"] == "Test Test")
        #expect(updated?["description"] == "test info")
        let cleared = try f.api("POST", "clients/update", [("id_client", String(id)), ("city", "")]).json["data"]
        #expect(cleared?["city"] == .null)
        #expect(try f.api("POST", "clients/delete", [("id_client", String(id))]).json == ["data": ["success": 1]])
        #expect(try f.api("GET", "clients", [("id_client", String(id))]).status == 404)
        #expect(try f.api("POST", "clients/delete", [("id_client", String(id))]).status == 404)
    }

    static let clientRules: [([(String, String)], String)] = [
        ([("id_country", "102"), ("e_mail", "a@b.co")], "The name field is required."),
        ([("name", String(repeating: "n", count: 101)), ("id_country", "102"), ("e_mail", "a@b.co")], "The name may not be greater than 100 characters."),
        ([("name", "N"), ("e_mail", "a@b.co")], "The id_country field is required."),
        ([("name", "N"), ("id_country", "abc"), ("e_mail", "a@b.co")], "The id_country must be an integer."),
        ([("name", "N"), ("id_country", "999"), ("e_mail", "a@b.co")], "The selected id_country is invalid."),
        ([("name", "N"), ("id_country", "102")], "The e_mail field is required."),
        ([("name", "N"), ("id_country", "102"), ("e_mail", "not-an-email")], "The e_mail must be a valid email address."),
        ([("name", "N"), ("id_country", "102"), ("e_mail", "a@b.co"), ("city", String(repeating: "c", count: 256))], "The city may not be greater than 255 characters."),
        ([("name", "N"), ("id_country", "102"), ("e_mail", "a@b.co"), ("description", String(repeating: "d", count: 501))], "The description may not be greater than 500 characters."),
        ([("name", "N"), ("id_country", "102"), ("e_mail", "taken@example.com")], "The e_mail has already been taken."),
    ]

    @Test(arguments: clientRules)
    func clientCreateRules(fields: [(String, String)], message: String) throws {
        let f = try Fixture()
        _ = try f.newClient(email: "taken@example.com")
        let r = try f.api("POST", "clients/create", fields)
        #expect(r.status == 422)
        #expect(r.json == ["error": ["message": .string(message)]])
        #expect(try f.test.sandbox.store.read { db in try db.queryOne("SELECT COUNT(*) FROM payxtoday_clients")?[0].int } == 1)
    }

    @Test func clientErrorsAndJSONBodies() throws {
        let f = try Fixture()
        #expect(try f.api("GET", "clients").json == ["error": ["message": "The id_client field is required."]])
        #expect(try f.api("GET", "clients", [("id_client", "77")]).status == 404)
        #expect(try f.api("GET", "clients/find/email", [("email", "nobody@example.com")]).status == 404)
        #expect(try f.api("GET", "clients/find/email", [("email", "x")]).status == 422)
        #expect(try f.api("POST", "clients/update", [("id_client", "77"), ("name", "x")]).status == 404)
        let json = try f.client.request("POST", "/payxtoday/api/v1/1/sandbox-secret/clients/create",
                                        json: ["name": "J", "id_country": 1, "e_mail": "j@example.com", "phone": 4712345678])
        #expect(json.json["data"]?["phone"] == "4712345678")
        let bad = try f.client.request("POST", "/payxtoday/api/v1/1/sandbox-secret/clients/create", json: ["name": ["J"], "id_country": 1, "e_mail": "k@example.com"])
        #expect(bad.json == ["error": ["message": "The name must be a string."]])
    }

    @Test func resellersNeverSeeEachOthersClientsOrPayments() throws {
        let f = try Fixture()
        let mine = try f.newClient()
        let payment = try f.newPayment(client: mine)
        let other = ("sandbox2-secret", 2)
        #expect(try f.api("GET", "clients", reseller: other.1, key: other.0, [("id_client", String(mine))]).status == 404)
        #expect(try f.api("GET", "clients/find/email", reseller: other.1, key: other.0, [("email", "test@example.com")]).status == 404)
        #expect(try f.api("POST", "clients/update", reseller: other.1, key: other.0, [("id_client", String(mine)), ("name", "x")]).status == 404)
        #expect(try f.api("POST", "clients/delete", reseller: other.1, key: other.0, [("id_client", String(mine))]).status == 404)
        #expect(try f.api("GET", "payments", reseller: other.1, key: other.0, [("id_client", String(mine))]).status == 404)
        #expect(try f.api("GET", "payments/id", reseller: other.1, key: other.0, [("id_payment", String(payment["id_payment"]?.intValue ?? 0))]).status == 404)
        #expect(try f.api("GET", "payments/uuid", reseller: other.1, key: other.0, [("uuid_payment", payment["uuid_payment"]?.stringValue ?? "")]).status == 404)
        #expect(try f.api("POST", "payments/delete", reseller: other.1, key: other.0, [("id_payment", String(payment["id_payment"]?.intValue ?? 0))]).status == 404)
        let theirs = try f.api("POST", "payments/create", reseller: other.1, key: other.0, [("id_client", String(mine)), ("price", "1"), ("period", "1"), ("id_payment_system", "1")])
        #expect(theirs.json == ["error": ["message": "The selected id_client is invalid."]])
        #expect(try f.api("GET", "clients", [("id_client", String(mine))]).json["data"]?["name"] == "Test Test")
    }

    // MARK: payments

    @Test func paymentFieldsBeforeAndAfterPaying() throws {
        let f = try Fixture()
        let client = try f.newClient()
        let created = try f.newPayment(client: client, extra: [("description", "order 125")])
        guard case .object(let members) = created else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["reseller", "id_payment", "uuid_payment", "client", "payment_system", "price", "period", "success",
                                     "error_message", "paid_at", "created_at", "IpAddress", "IpCountry", "CardFirstSix", "CardLastFour",
                                     "CardExpDate", "CardType", "CardCategory", "CardProduct", "Issuer", "description", "url_success", "url_error"])
        #expect(created["price"] == "290.00")
        #expect(created["period"] == 12)
        #expect(created["success"] == 0)
        for field in ["error_message", "paid_at", "IpAddress", "IpCountry", "CardFirstSix", "CardLastFour", "CardExpDate", "CardType",
                      "CardCategory", "CardProduct", "Issuer", "url_success", "url_error"] {
            #expect(created[field] == .null, "\(field)")
        }
        #expect(created["client"]?["description"] == nil)
        #expect(created["payment_system"] == ["id_payment_system": 1, "name": "CP LAM MSC TV"])
        let uuid = try #require(created["uuid_payment"]?.stringValue)
        #expect(uuid.count == 40)
        #expect(uuid.allSatisfy { $0.isHexDigit })
        // The create answers from what it inserted, not a read: the same as reading it back.
        #expect(try f.api("GET", "payments/uuid?uuid_payment=\(uuid)", []).json["data"] == created)
        let page = try f.client.request("GET", "/payxtoday/pay/\(uuid)")
        #expect(page.status == 200)
        #expect(page.text.contains("€290.00"))
        let paid = try f.pay(uuid, headers: [("X-Forwarded-For", "77.16.74.241")])
        #expect(paid.status == 200)
        let after = try #require(try f.api("GET", "payments/uuid", [("uuid_payment", uuid)]).json["data"])
        #expect(after["success"] == 1)
        #expect(after["error_message"] == "")
        #expect(after["paid_at"]?.stringValue?.count == 19)
        #expect(after["IpAddress"] == "77.16.74.241")
        #expect(after["IpCountry"] == "NO")
        #expect(after["CardFirstSix"] == "469279")
        #expect(after["CardLastFour"] == "3815")
        #expect(after["CardExpDate"] == "07/25")
        #expect(after["CardType"] == "Visa")
        #expect(after["CardCategory"] == "Visa Classic ()")
        #expect(after["CardProduct"] == "F")
        #expect(after["Issuer"] == "Bank Norwegian As")
        #expect(try f.api("GET", "payments/id", [("id_payment", String(after["id_payment"]?.intValue ?? 0))]).json["data"] == after)
        // Regression: `X-Forwarded-For: ,` crashed the server; the peer's address is used instead.
        let other = try #require(try f.newPayment(client: f.newClient(email: "comma@example.com"))["uuid_payment"]?.stringValue)
        #expect(try f.pay(other, headers: [("X-Forwarded-For", ",")]).status == 200)
        #expect(try f.api("GET", "payments/uuid", [("uuid_payment", other)]).json["data"]?["IpAddress"] == "127.0.0.1")
        #expect(try f.api("GET", "payments", [("id_client", String(client))]).json["data"] == [after])
        #expect(try f.api("POST", "payments/delete", [("id_payment", String(try #require(after["id_payment"]?.intValue)))]).status == 409)
        #expect(try f.pay(uuid).status == 409)
    }

    static let paymentRules: [([(String, String)], String)] = [
        ([("price", "290"), ("period", "12")], "The id_client field is required."),
        ([("id_client", "999"), ("price", "290"), ("period", "12")], "The selected id_client is invalid."),
        ([("id_client", "CLIENT"), ("period", "12")], "The price field is required."),
        ([("id_client", "CLIENT"), ("price", "abc"), ("period", "12")], "The price must be a number."),
        ([("id_client", "CLIENT"), ("price", "-5"), ("period", "12")], "The price must be between 0.01 and 1000000000."),
        // `Decimal` reads a number's beginning: "1-2" was the price 1, stored as "0.00".
        ([("id_client", "CLIENT"), ("price", "1-2"), ("period", "12")], "The price must be a number."),
        ([("id_client", "CLIENT"), ("price", "."), ("period", "12")], "The price must be a number."),
        ([("id_client", "CLIENT"), ("price", "1.234"), ("period", "12")], "The price may have at most 2 decimals."),
        ([("id_client", "CLIENT"), ("price", "10")], "The period field is required."),
        ([("id_client", "CLIENT"), ("price", "10"), ("period", "1.5")], "The period must be an integer."),
        ([("id_client", "CLIENT"), ("price", "10"), ("period", "0")], "The period must be between 1 and 1200 months."),
        ([("id_client", "CLIENT"), ("price", "10"), ("period", "1"), ("id_payment_system", "7")], "The selected id_payment_system is invalid."),
        ([("id_client", "CLIENT"), ("price", "10"), ("period", "1"), ("url_success", "not a url")], "The url_success must be a valid URL."),
        ([("id_client", "CLIENT"), ("price", "10"), ("period", "1"), ("description", String(repeating: "d", count: 501))], "The description may not be greater than 500 characters."),
        // Code points, as PHP's mb_strlen counts: 250 "é" written as e + combining accent are 500.
        ([("id_client", "CLIENT"), ("price", "10"), ("period", "1"), ("description", String(repeating: "e\u{301}", count: 251))], "The description may not be greater than 500 characters."),
    ]

    @Test(arguments: paymentRules)
    func paymentCreateRules(fields: [(String, String)], message: String) throws {
        let f = try Fixture()
        let client = try f.newClient()
        let r = try f.api("POST", "payments/create", fields.map { ($0.0, $0.1 == "CLIENT" ? String(client) : $0.1) })
        #expect(r.status == 422)
        #expect(r.json == ["error": ["message": .string(message)]])
    }

    @Test func aResellerWithTwoPaymentSystemsMustChoose() throws {
        let f = try Fixture()
        let client = try f.newClient(reseller: 2)
        let missing = try f.api("POST", "payments/create", reseller: 2, key: "sandbox2-secret", [("id_client", String(client)), ("price", "5"), ("period", "1")])
        #expect(missing.json == ["error": ["message": "The id_payment_system field is required."]])
        let chosen = try f.api("POST", "payments/create", reseller: 2, key: "sandbox2-secret", [("id_client", String(client)), ("price", "5.5"), ("period", "1"), ("id_payment_system", "2")])
        #expect(chosen.json["data"]?["payment_system"] == ["id_payment_system": 2, "name": "Sandbox Card EU"])
        #expect(chosen.json["data"]?["price"] == "5.50")
    }

    @Test func deletingAnUnpaidPayment() throws {
        let f = try Fixture()
        let client = try f.newClient()
        let payment = try f.newPayment(client: client)
        let id = String(payment["id_payment"]?.intValue ?? 0)
        #expect(try f.api("POST", "payments/delete", [("id_payment", id)]).json == ["data": ["success": 1]])
        #expect(try f.api("GET", "payments/id", [("id_payment", id)]).status == 404)
        #expect(try f.client.request("GET", "/payxtoday/pay/\(payment["uuid_payment"]?.stringValue ?? "")").status == 404)
        #expect(try f.api("GET", "payments/uuid", [("uuid_payment", "short")]).json == ["error": ["message": "The uuid_payment must be 40 characters."]])
    }

    // MARK: redirects and webhooks

    @Test func successRedirectAndWebhook() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: [
            "callback": ["payments": ["success": "https://mysite.com/payments/success/{UUID}", "error": "https://mysite.com/error?x=1"]],
            "webhook": ["payments": ["success": .string(receiver.url + "/success"), "error": .string(receiver.url + "/error")]],
        ])
        let client = try f.newClient()
        let payment = try f.newPayment(client: client, extra: [("description", "order 125")])
        let uuid = payment["uuid_payment"]?.stringValue ?? ""
        let paid = try f.pay(uuid, card: "4111111111111111")
        #expect(paid.status == 303)
        #expect(paid["Location"] == "https://mysite.com/payments/success/\(uuid)")
        let hook = try #require(receiver.wait(for: 1).first)
        #expect(hook.path == "/cb/success")
        guard case .object(let members) = hook.json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["reseller", "id_client", "id_payment", "uuid_payment", "id_payment_system", "period", "price", "success", "paid_at", "created_at", "description"])
        #expect(hook.json["reseller"] == 1)
        #expect(hook.json["id_client"] == .int(client))
        #expect(hook.json["uuid_payment"] == .string(uuid))
        #expect(hook.json["price"] == .number("290"))
        #expect(hook.json["success"] == 1)
        #expect(hook.json["description"] == "order 125")
    }

    @Test func errorRedirectWithPpuuidAndWebhook() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: [
            "webhook": ["payments": ["error": .string(receiver.url + "/error")]],
        ])
        let client = try f.newClient()
        let payment = try f.newPayment(client: client, extra: [("url_error", "https://mysite.com/error?ppuuid=")])
        let uuid = payment["uuid_payment"]?.stringValue ?? ""
        let failed = try f.pay(uuid, card: "4000 0000 0009 5051")
        #expect(failed.status == 303)
        #expect(failed["Location"] == "https://mysite.com/error?ppuuid=\(uuid)")
        let hook = try #require(receiver.wait(for: 1).first)
        #expect(hook.path == "/cb/error")
        guard case .object(let members) = hook.json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["reseller", "id_client", "id_payment", "uuid_payment", "id_payment_system", "period", "price", "success", "error_message", "created_at", "description"])
        #expect(hook.json["success"] == 0)
        #expect(hook.json["error_message"] == "5051 (Insufficient funds)")
        let after = try f.api("GET", "payments/uuid", [("uuid_payment", uuid)]).json["data"]
        #expect(after?["success"] == 0)
        #expect(after?["error_message"] == "5051 (Insufficient funds)")
        #expect(after?["paid_at"] == .null)
        #expect(after?["CardLastFour"] == "5051")
    }

    @Test func thePayPageRefusesBadCards() throws {
        let f = try Fixture()
        let payment = try f.newPayment(client: try f.newClient())
        let uuid = payment["uuid_payment"]?.stringValue ?? ""
        #expect(try f.pay(uuid, card: "4111111111111112").status == 422)
        let badExpiry = try f.client.request("POST", "/payxtoday/pay/\(uuid)", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                             body: form([("card_number", "4111111111111111"), ("card_exp", "13/25"), ("card_cvc", "123")]))
        #expect(badExpiry.status == 422)
        #expect(try f.api("GET", "payments/uuid", [("uuid_payment", uuid)]).json["data"]?["success"] == 0)
        #expect(try f.client.request("GET", "/payxtoday/pay/0000000000000000000000000000000000000000").status == 404)
    }

    @Test func testWebhooksAreSentAtOnce() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        #expect(try f.api("GET", "webhook/test/success").json == ["data": ["sent": 0]])
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: [
            "webhook": ["payments": ["success": .string(receiver.url + "/s"), "error": .string(receiver.url + "/e")]],
        ])
        #expect(try f.api("GET", "webhook/test/success").json == ["data": ["sent": 1]])
        #expect(try f.api("GET", "webhook/test/error").json == ["data": ["sent": 1]])
        let received = receiver.wait(for: 2)
        let state = try f.client.request("GET", "/_sandbox/deliveries").json
        #expect(Set(received.map(\.path)) == ["/cb/s", "/cb/e"], "\(state)")
        let success = try #require(received.first { $0.path == "/cb/s" })
        #expect(success.json == ["reseller": 1, "id_client": 123456, "id_payment": 123, "uuid_payment": "4523698skjsjsskj2k2jkbhs",
                                 "id_payment_system": 1, "period": 1, "price": 100, "success": 1, "paid_at": "2024-01-01 00:01:05",
                                 "created_at": "2024-01-01 00:01:00", "description": "order 125"])
    }

    /// One reseller's refusing receiver, its test webhook in retry, holds back no other
    /// reseller's test webhook, nor its own next one (each test webhook is a queue of its own).
    @Test func aFailingResellerHoldsBackNoOtherWebhook() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let refused = "http://127.0.0.1:\(refusedPort())/wh"
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: ["webhook": ["payments": ["success": .string(refused)]]])
        #expect(try f.api("GET", "webhook/test/success").json == ["data": ["sent": 1]])
        // Its first attempt fails; it now waits 5 s for a retry.
        try waitUntil {
            try f.client.request("GET", "/_sandbox/deliveries?state=pending").json["deliveries"]?[0]?["attempts"]?.arrayValue?.isEmpty == false
        }
        let fresh = try f.client.request("POST", "/_sandbox/accounts", json: ["provider": "payxtoday"]).json
        let reseller = try #require(fresh["account"]?.intValue)
        let key = try #require(fresh["secret_key"]?.stringValue)
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/\(reseller)",
                                 json: ["webhook": ["payments": ["success": .string(receiver.url + "/fresh")]]])
        #expect(try f.api("GET", "webhook/test/success", reseller: reseller, key: key).json == ["data": ["sent": 1]])
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: ["webhook": ["payments": ["success": .string(receiver.url + "/own")]]])
        #expect(try f.api("GET", "webhook/test/success").json == ["data": ["sent": 1]])
        let arrived = receiver.wait(for: 2, seconds: 20)
        let state = try f.client.request("GET", "/_sandbox/deliveries").json
        #expect(Set(arrived.map(\.path)) == ["/cb/fresh", "/cb/own"], "\(state)")
        #expect(arrived.first { $0.path == "/cb/fresh" }?.json["reseller"]?.intValue == reseller)
        // Both were delivered before the refused one's retry (however slow this machine is).
        var deliveries: [JSON] = []
        try waitUntil(seconds: 10) {  // the arrivals are recorded just after the receiver answers
            deliveries = try f.client.request("GET", "/_sandbox/deliveries").json["deliveries"]?.arrayValue ?? []
            return !deliveries.contains { $0["url"]?.stringValue != refused && $0["state"] != "delivered" }
        }
        #expect(deliveries.count == 3)
        let retry = deliveries.first { $0["url"]?.stringValue == refused }?["attempts"]?[1]?["at"]?.stringValue
        for delivered in deliveries where delivered["url"]?.stringValue != refused {
            let at = try #require(delivered["attempts"]?[0]?["at"]?.stringValue)
            #expect(at < retry ?? "~", "\(delivered)")
        }
    }

    /// Many webhooks sent at once (four callers, their attempts recorded while the scheduler
    /// reads what is due next): each arrives once, with one attempt recorded.
    @Test func eachWebhookIsSentOnce() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        _ = try f.client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: ["webhook": ["payments": ["success": .string(receiver.url)]]])
        let port = f.test.port
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            guard let client = try? TestClient(port: port) else { return }
            for _ in 0 ..< 60 {
                _ = try? client.request("GET", "/payxtoday/api/v1/1/sandbox-secret/webhook/test/success")
            }
        }
        var delivered: [JSON] = []
        try waitUntil(seconds: 20) {
            delivered = try f.client.request("GET", "/_sandbox/deliveries?state=delivered&limit=500").json["deliveries"]?
                .arrayValue ?? []
            return delivered.count >= 240
        }
        #expect(delivered.count == 240)
        #expect(receiver.received.count == 240)
        #expect(delivered.filter { $0["attempts"]?.arrayValue?.count != 1 } == [])
    }

    /// A fresh reseller answers in PayXToday's words, with its ready-made API base URL.
    @Test func aFreshResellerSpeaksPayXTodaysWords() throws {
        let f = try Fixture()
        let fresh = try f.client.request("POST", "/_sandbox/accounts", json: ["provider": "payxtoday"])
        #expect(fresh.status == 201)
        let reseller = try #require(fresh.json["id_reseller"]?.stringValue)
        let key = try #require(fresh.json["secret_key"]?.stringValue)
        #expect(fresh.json["login"]?.stringValue == reseller)
        #expect(fresh.json["secret"]?.stringValue == key)
        let base = try #require(fresh.json["api_url"]?.stringValue)
        #expect(base == "http://localhost/payxtoday/api/v1/\(reseller)/\(key)/")  // Host: localhost
        let path = String(base.dropFirst("http://localhost".count))
        #expect(try f.client.request("GET", path + "options").json["data"]?["reseller"]?.intValue == Int(reseller))
        #expect(try f.client.request("GET", "/_sandbox/accounts/payxtoday/\(reseller)").json["api_url"]?.stringValue == base)
    }

    /// As the public WooCommerce plugin (kaizen-design/payments-today) checks out: its PHP finds
    /// or makes the client (countries read for the billing country's id, the form fields as
    /// WordPress posts them), its checkout script asks from the payer's browser (another
    /// origin) for the client by e-mail and then for the client's payment systems, and its PHP
    /// creates the payment with the one chosen and the order id as description.
    @Test func theWooCommercePluginsCheckout() throws {
        let f = try Fixture()
        let countries = try #require(try f.api("GET", "countries").json["data"]?.arrayValue)
        let norway = try #require(countries.first { $0["iso_3166_1"] == "NO" }?["id"]?.intValue)
        #expect(try f.api("GET", "clients/find/email", [("email", "ada@example.com")]).status == 404)
        let created = try f.api("POST", "clients/create", [
            ("name", "Ada Lovelace"), ("id_country", String(norway)), ("e_mail", "ada@example.com"), ("city", "Oslo"),
            ("postal_code", "0150"), ("address", "Karl Johans gate 1"), ("phone", "+4712345678"), ("description", ""),
        ])
        #expect(created.status == 200, "\(created.text)")

        let browser = [("Origin", "https://shop.example")]
        let api = "/payxtoday/api/v1/1/sandbox-secret/"
        let found = try f.client.request("GET", api + "clients/find/email?email=ada@example.com", headers: browser)
        #expect(found.headers["Access-Control-Allow-Origin"] == "*")
        let id = try #require(found.json["data"]?["id_client"]?.intValue)
        let systems = try f.client.request("GET", api + "clients/payment-systems?id_client=\(id)", headers: browser)
        #expect(systems.status == 200)
        #expect(systems.headers["Access-Control-Allow-Origin"] == "*")
        #expect(systems.json == ["data": ["reseller": 1, "id_client": .int(id), "payment_systems": [
            ["id_payment_system": 1, "name": "CP LAM MSC TV"],
        ]]])
        let chosen = try #require(systems.json["data"]?["payment_systems"]?[0]?["id_payment_system"]?.intValue)

        let payment = try f.api("POST", "payments/create", [
            ("id_client", String(id)), ("price", "49.9"), ("period", "1"), ("id_payment_system", String(chosen)),
            ("description", "4001"),
        ])
        #expect(payment.status == 200, "\(payment.text)")
        let uuid = try #require(payment.json["data"]?["uuid_payment"]?.stringValue)
        #expect(try f.client.request("GET", "/payxtoday/pay/\(uuid)").status == 200)

        // A reseller with two systems offers both; an unknown, another reseller's or a missing
        // client is refused in the API's own shape.
        let second = try f.newClient(reseller: 2, email: "bob@example.com")
        let two = try f.api("GET", "clients/payment-systems", reseller: 2, key: "sandbox2-secret",
                            [("id_client", String(second))])
        #expect(two.json["data"]?["payment_systems"]?.arrayValue?.map { $0["id_payment_system"] } == [1, 2])
        let unknown = try f.api("GET", "clients/payment-systems", [("id_client", "999")])
        #expect(unknown.status == 404)
        #expect(unknown.json == ["error": ["message": "Client 999 not found"]])
        #expect(try f.api("GET", "clients/payment-systems", [("id_client", String(second))]).status == 404)
        let missing = try f.api("GET", "clients/payment-systems")
        #expect(missing.status == 422)
        #expect(missing.json["error"]?["message"] == "The id_client field is required.")
    }

    @Test func controlPlaneOutcome() throws {
        let f = try Fixture()
        let payment = try f.newPayment(client: try f.newClient())
        let id = payment["id_payment"]?.intValue ?? 0
        let done = try f.client.request("POST", "/_sandbox/payments/payxtoday/\(id)/outcome", json: ["outcome": "failure", "message": "05 (Do not honour)"])
        #expect(done.json["status"] == "failed")
        #expect(try f.api("GET", "payments/id", [("id_payment", String(id))]).json["data"]?["error_message"] == "05 (Do not honour)")
        #expect(PayXTodayPage.withUUID("https://a.example/ok", "u") == "https://a.example/ok/u")
        #expect(PayXTodayPage.withUUID("https://a.example/ok/", "u") == "https://a.example/ok/u")
        #expect(PayXTodayPage.withUUID("https://a.example/ok?x=1", "u") == "https://a.example/ok?x=1&ppuuid=u")
    }

    /// Twenty clients sent at the same moment with one e-mail: exactly one is made (the rule is
    /// checked in the insert's transaction); the others get the documented 422, none a 5xx.
    @Test func oneEmailMakesOneClientUnderConcurrency() throws {
        let f = try Fixture()
        let port = f.test.port
        // Five bursts (a race shows in some bursts, not every one), one e-mail each.
        for round in 0..<5 {
            let email = "same\(round)@example.com"
            let seen = burst(port: port) { client in
                try client.request("POST", "/payxtoday/api/v1/1/sandbox-secret/clients/create",
                                   headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                   body: form([("name", "Same Person"), ("id_country", "102"), ("e_mail", email)]))
            }
            #expect(seen == [200] + Array(repeating: 422, count: 19), "burst \(round)")
            #expect(try f.api("GET", "clients/find/email", [("email", email)]).status == 200)
            let count = try f.test.sandbox.store.read { db in
                try db.queryOne("SELECT COUNT(*) FROM payxtoday_clients WHERE e_mail = ?", [email])?[0].int
            }
            #expect(count == 1, "burst \(round)")
        }
    }
}
