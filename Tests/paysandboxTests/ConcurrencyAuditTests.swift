import Alphacomm
import Census
import Foundation
import Synchronization
import HTTPServer
import PayXToday
import Paytomat
import SandboxCore
import Testing
import TestSupport

/// The rest of the audit of rules that guard a write (issue #28 item 1; the first ones are in
/// `ConcurrencyTests`): twenty requests at the same moment on each, exactly what should happen
/// once happens once, the others get the documented refusal, none a 5xx.
@Suite struct ConcurrencyAuditTests {
    private let test: TestSandbox

    init() throws {
        test = try TestSandbox(providers: [PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()])
    }

    private func timeline(_ provider: String, _ id: String, status: String) throws -> Int {
        let payment = try test.client().request("GET", "/_sandbox/payments/\(provider)/\(id)").json
        return try #require(payment["timeline"]?.arrayValue).count { $0["status"] == .string(status) }
    }

    @Test func aTransactionIsChargedBackOnce() throws {
        let client = try test.client()
        let auth = basic("sandbox", "sandbox-secret")
        let id = try #require(client.request(
            "POST", "/paytomat/api/v1/create_transaction", headers: [auth],
            json: ["ref": 2, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100]).json["id"]?.intValue)
        #expect(try client.request("POST", "/_sandbox/payments/paytomat/\(id)/outcome", json: ["outcome": "success"])
            .status == 200)
        let seen = burst(port: test.port) { client in
            try client.request("POST", "/paytomat/api/v1/chargeback_transaction", headers: [auth], json: ["id": .int(id)])
        }
        #expect(seen == [200] + Array(repeating: 409, count: 19))
        #expect(try timeline("paytomat", String(id), status: "cancellation") == 1)
    }

    /// A repeated paymentId is the same payment when the request is the same: twenty identical
    /// creates make one payment; twenty that differ make one, and nineteen conflicts.
    @Test func onePaymentIdMakesOnePayment() throws {
        let client = try test.client()
        let token = try #require(client.request(
            "GET", "/alphacomm/oauth/v2/token?grant_type=client_credentials&client_id=sandbox&client_secret=sandbox-secret"
        ).json["access_token"]?.stringValue)
        let bearer = ("Authorization", "Bearer \(token)")
        let same = burst(port: test.port) { client in
            try client.request("POST", "/alphacomm/api/paypal/create", headers: [bearer],
                               json: Examples.alphacommCreateRequest)
        }
        #expect(same == Array(repeating: 200, count: 20))
        let id = try #require(Examples.alphacommCreateRequest["paymentId"]?.stringValue)
        #expect(try timeline("alphacomm", id, status: "accepted") == 1)

        let other = "0b7a6c2e-3f1d-4e5a-9b8c-7d6e5f4a3b2c"
        let numbers = Mutex(0)
        let differing = burst(port: test.port) { client in
            let n = numbers.withLock { $0 += 1; return $0 }
            var body = Examples.alphacommCreateRequest.merging(["paymentId": .string(other)])
            body = body.merging(["companyName": .string("Shop \(n)")])
            return try client.request("POST", "/alphacomm/api/paypal/create", headers: [bearer], json: body)
        }
        #expect(differing == [200] + Array(repeating: 409, count: 19))
        let payments = try client.request("GET", "/_sandbox/payments?provider=alphacomm").json["payments"]?.arrayValue
        #expect(payments?.count { $0["id"] == .string(other) } == 1)
    }

    @Test func aPayXTodayPaymentIsDeletedOnceAndPaidOnce() throws {
        let client = try test.client()
        let api = "/payxtoday/api/v1/1/sandbox-secret/"
        let form = ("Content-Type", "application/x-www-form-urlencoded")
        let made = try client.request("POST", api + "clients/create", headers: [form],
                                      body: Array("name=Ada&id_country=102&e_mail=ada%40example.com".utf8))
        let clientID = try #require(made.json["data"]?["id_client"]?.intValue)
        func payment() throws -> JSON {
            try #require(client.request("POST", api + "payments/create", headers: [form],
                                        body: Array("id_client=\(clientID)&price=290&period=12".utf8)).json["data"])
        }
        let doomed = try #require(try payment()["id_payment"]?.intValue)
        let deletes = burst(port: test.port) { client in
            try client.request("POST", api + "payments/delete", headers: [form], body: Array("id_payment=\(doomed)".utf8))
        }
        #expect(deletes == [200] + Array(repeating: 404, count: 19))
        #expect(try timeline("payxtoday", String(doomed), status: "deleted") == 1)

        // Twenty payers submitting one pay page: one pays, one webhook; the others are told it is done.
        let paid = try payment()
        let uuid = try #require(paid["uuid_payment"]?.stringValue)
        let id = try #require(paid["id_payment"]?.intValue)
        let card = Array("card_number=4111111111111111&card_exp=01%2F30&card_cvc=123".utf8)
        let submits = burst(port: test.port) { client in
            try client.request("POST", "/payxtoday/pay/\(uuid)", headers: [form], body: card)
        }
        #expect(submits.count { $0 == 409 } == 19, "\(submits)")
        #expect(submits.allSatisfy { $0 < 500 })
        #expect(try timeline("payxtoday", String(id), status: "paid") == 1)
    }

    /// Paytomat's products have no rule that one request could slip past another (names repeat,
    /// an update checks the product in its own transaction): twenty creates make twenty
    /// products, twenty updates of one leave it whole, with one of the amounts sent.
    @Test func paytomatProductsUnderTwentyAtOnce() throws {
        let auth = basic("sandbox", "sandbox-secret")
        let product: JSON = ["title": "P", "amount": 1, "currency": "USD", "unit": "single"]
        let created = burst(port: test.port) { client in
            try client.request("POST", "/paytomat/api/v1/create_product", headers: [auth], json: product)
        }
        #expect(created == Array(repeating: 200, count: 20))
        let listed = try test.client().request("GET", "/paytomat/api/v1/product?id=20", headers: [auth])
        #expect(listed.json["product"]?["title"] == "P")
        let amounts = Mutex(0)
        let updated = burst(port: test.port) { client in
            let amount = amounts.withLock { $0 += 1; return $0 }
            return try client.request("PUT", "/paytomat/api/v1/product/1", headers: [auth], json: ["amount": .int(amount)])
        }
        #expect(updated == Array(repeating: 200, count: 20))
        let one = try test.client().request("GET", "/paytomat/api/v1/product?id=1", headers: [auth]).json["product"]
        #expect(one?["title"] == "P")
        #expect((1...20).map { "\($0).00" }.contains(try #require(one?["amount"]?.stringValue)))
    }

    @Test func anExternalIdBelongsToOnePerson() throws {
        let seen = burst(port: test.port) { client in
            try client.request("POST", "/_sandbox/census/persons",
                               json: ["name": "Ada", "external_ids": ["participa": "4242"]])
        }
        #expect(seen == [201] + Array(repeating: 409, count: 19))
        let found = try test.client().request("GET", "/_sandbox/census/persons/4242@participa")
        #expect(found.status == 200)
    }
}
