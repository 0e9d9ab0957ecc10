import Foundation
import Testing
import HTTPServer
import SandboxCore
import TestSupport
import Alphacomm
import Paytomat
import ProjectCX

/// What must happen once happens once: twenty requests at the same moment on one rule that
/// guards a write, and exactly one of them does it; the others get the documented refusal,
/// none a 5xx, and the state shows one change.
@Suite struct ConcurrencyTests {
    private let test: TestSandbox

    init() throws {
        test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), AlphacommProvider()])
    }

    private func timeline(_ provider: String, _ id: String, status: String) throws -> Int {
        let payment = try test.client().request("GET", "/_sandbox/payments/\(provider)/\(id)").json
        return payment["timeline"]?.arrayValue?.count { $0["status"] == .string(status) } ?? -1
    }

    @Test func aPaymentCompletesOnce() throws {
        let client = try test.client()
        let token = try client.projectCXToken()
        let order = try #require(client.request(
            "POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
            json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"]).json["orderId"]?.stringValue)
        let seen = burst(port: test.port) { client in
            try client.request("POST", "/_sandbox/payments/projectcx/\(order)/outcome", json: ["outcome": "success"])
        }
        #expect(seen == [200] + Array(repeating: 409, count: 19))
        #expect(try timeline("projectcx", order, status: "success") == 1)
        let deliveries = try client.request("GET", "/_sandbox/deliveries?payment=\(order)").json["deliveries"]
        #expect(deliveries?.arrayValue?.count == 1, "one callback queued")
    }

    @Test func aTransactionIsCancelledOnce() throws {
        let client = try test.client()
        let id = try #require(client.request(
            "POST", "/paytomat/api/v1/create_transaction", headers: [basic("sandbox", "sandbox-secret")],
            json: ["ref": 1, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100]).json["id"]?.intValue)
        let seen = burst(port: test.port) { client in
            try client.request("POST", "/paytomat/api/v1/cancel_transaction", headers: [basic("sandbox", "sandbox-secret")],
                               json: ["id": .int(id)])
        }
        #expect(seen == [200] + Array(repeating: 409, count: 19))
        #expect(try timeline("paytomat", String(id), status: "cancelled") == 1)
    }

    @Test func aPaymentIsCapturedOnce() throws {
        let client = try test.client()
        let token = try #require(client.request(
            "GET", "/alphacomm/oauth/v2/token?grant_type=client_credentials&client_id=sandbox&client_secret=sandbox-secret"
        ).json["access_token"]?.stringValue)
        let made = try client.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(token)")],
                                      json: Examples.alphacommCreateRequest)
        let id = try #require(made.json["paymentId"]?.stringValue)
        #expect(try client.request("POST", "/_sandbox/payments/alphacomm/\(id)/outcome", json: ["outcome": "success"])
            .status == 200)
        let seen = burst(port: test.port) { client in
            try client.request("GET", "/alphacomm/api/paypal/capture/\(id)", headers: [("Authorization", "Bearer \(token)")])
        }
        #expect(seen == [200] + Array(repeating: 409, count: 19))
        #expect(try timeline("alphacomm", id, status: "captured") == 1)
    }

    @Test func aLoginIsGivenOnce() throws {
        let seen = burst(port: test.port) { client in
            try client.request("POST", "/_sandbox/accounts",
                               json: ["provider": "paytomat", "login": "shop-7", "secret": "a-long-enough-secret"])
        }
        #expect(seen == [201] + Array(repeating: 409, count: 19))
        let accounts = try test.sandbox.context.accounts.list(provider: "paytomat")
        #expect(accounts.count { $0.login == "shop-7" } == 1)
    }
}
