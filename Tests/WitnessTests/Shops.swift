import Foundation
import Synchronization
import HTTPServer
import TestSupport

private func bearer(_ token: String?) -> [(String, String)] { token.map { [("Authorization", "Bearer " + $0)] } ?? [] }

private let settleNow = ("X-PaySandbox-Outcome", "success; after=0")

/// Paytomat: a JWT from `/token`, transactions with `ref`, postbacks, `transaction?id=` read back.
struct PaytomatShop: Shop {
    var key: String { "paytomat" }
    var usesToken: Bool { true }
    var hasCallbacks: Bool { true }

    /// Payments confirmed at once (the default waits 60 s of sandbox clock for confirmations).
    func setUp(_ merchant: Merchant) throws {
        try merchant.control("PATCH", "/_sandbox/accounts/paytomat/1", ["timing": ["confirmation_seconds": 0]])
    }

    func tokenCall() -> Call { Call(method: "GET", path: "/paytomat/api/v1/token", headers: [basic("sandbox", "sandbox-secret")]) }

    func token(_ answer: TestResponse) -> String? { answer.json["token"]?.stringValue }

    func create(order: Int, attempt: Int, token: String?, valid: Bool, callbackURL: String) -> Call {
        let body: JSON = [
            "ref": .int(order), "currency_in": "USD", "currency_out": "BTC", "amount_in": valid ? 100 : -5,
            "callback_url": .string(callbackURL),
        ]
        return Call(method: "POST", path: "/paytomat/api/v1/create_transaction",
                    headers: bearer(token) + [("Content-Type", "application/json"), settleNow], body: body.serializedBytes())
    }

    func payment(_ answer: TestResponse) -> String? { answer.json["id"]?.intValue.map(String.init) }

    func lookup(order: Int, token: String?) -> Call {
        Call(method: "GET", path: "/paytomat/api/v1/transactions?order_by=-id&limit=100", headers: bearer(token))
    }

    func found(order: Int, _ answer: TestResponse) -> String? {
        answer.json["transactions"]?.arrayValue?.first { $0["ref"]?.scalarText == String(order) }?["id"]?.scalarText
    }

    func status(_ payment: String, token: String?) -> Call {
        Call(method: "GET", path: "/paytomat/api/v1/transaction?id=\(payment)", headers: bearer(token))
    }

    func payment(ofCallback body: JSON) -> String? { body["tx_id"]?.scalarText }

    func settle(_ payment: String, _ merchant: Merchant) throws {}
}

/// PayXToday: credentials in the path, one client, payments by client and price, webhooks.
final class PayXTodayShop: Shop {
    var key: String { "payxtoday" }
    var usesToken: Bool { false }
    var hasCallbacks: Bool { true }
    let client = Mutex(0)
    private let api = "/payxtoday/api/v1/1/sandbox-secret"

    func setUp(_ merchant: Merchant) throws {
        try merchant.control("PATCH", "/_sandbox/accounts/payxtoday/1",
                             ["webhook": ["payments": ["success": .string(merchant.receiver.url),
                                                        "error": .string(merchant.receiver.url)]]])
        let made = merchant.send(Call(
            method: "POST", path: api + "/clients/create", headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: form([("name", "Ada Lovelace"), ("id_country", "102"), ("e_mail", "ada@example.com")])))
        guard let id = made?.json["data"]?["id_client"]?.intValue else {
            throw TestClientError("PayXToday's clients/create answered \(made?.text ?? "nothing")")
        }
        client.withLock { $0 = id }
    }

    func tokenCall() -> Call { Call(method: "GET", path: api + "/options") }

    func token(_ answer: TestResponse) -> String? { nil }

    private func price(_ order: Int) -> String { String(100 + order) }

    func create(order: Int, attempt: Int, token: String?, valid: Bool, callbackURL: String) -> Call {
        let id = client.withLock { $0 }
        return Call(method: "POST", path: api + "/payments/create",
                    headers: [("Content-Type", "application/x-www-form-urlencoded"), settleNow],
                    body: form([("id_client", String(id)), ("price", valid ? price(order) : "free"), ("period", "12")]))
    }

    func payment(_ answer: TestResponse) -> String? { answer.json["data"]?["id_payment"]?.scalarText }

    func lookup(order: Int, token: String?) -> Call {
        Call(method: "GET", path: api + "/payments?id_client=\(client.withLock { $0 })")
    }

    func found(order: Int, _ answer: TestResponse) -> String? {
        answer.json["data"]?.arrayValue?.first { $0["price"]?.scalarText.flatMap(Double.init) == Double(price(order)) }?[
            "id_payment"]?.scalarText
    }

    func status(_ payment: String, token: String?) -> Call { Call(method: "GET", path: api + "/payments/id?id_payment=\(payment)") }

    func payment(ofCallback body: JSON) -> String? { body["id_payment"]?.scalarText }

    func settle(_ payment: String, _ merchant: Merchant) throws {}
}

/// Alphacomm: an OAuth2 token, a PayPal payment under the merchant's own paymentId, approval
/// (the control plane standing in for the payer), the status read, then the capture.
struct AlphacommShop: Shop {
    var key: String { "alphacomm" }
    var usesToken: Bool { true }
    var hasCallbacks: Bool { false }
    /// A new paymentId for each attempt (a client that forgets the one it sent) instead of the order's.
    var newIDPerAttempt = false

    func setUp(_ merchant: Merchant) throws {}

    func tokenCall() -> Call {
        Call(method: "GET",
             path: "/alphacomm/oauth/v2/token?grant_type=client_credentials&client_id=sandbox&client_secret=sandbox-secret")
    }

    func token(_ answer: TestResponse) -> String? { answer.json["access_token"]?.stringValue }

    static func paymentID(_ order: Int, _ attempt: Int) -> String {
        String(format: "%08d-0000-4000-8000-%012d", attempt, order)
    }

    func create(order: Int, attempt: Int, token: String?, valid: Bool, callbackURL: String) -> Call {
        var body = Examples.alphacommCreateRequest.merging([
            "paymentId": .string(Self.paymentID(order, newIDPerAttempt ? attempt : 0)),
            "transaction": ["reference": .string("order-\(order)")],
        ])
        if !valid { body = body.merging(["transaction": ["currency": "EURO"]]) }
        return Call(method: "POST", path: "/alphacomm/api/paypal/create",
                    headers: bearer(token) + [("Content-Type", "application/json")], body: body.serializedBytes())
    }

    func payment(_ answer: TestResponse) -> String? { answer.json["paymentId"]?.stringValue }

    func lookup(order: Int, token: String?) -> Call { status(Self.paymentID(order, 0), token: token) }

    func found(order: Int, _ answer: TestResponse) -> String? {
        answer.status == 200 ? answer.json["paymentId"]?.stringValue : nil
    }

    func status(_ payment: String, token: String?) -> Call {
        Call(method: "GET", path: "/alphacomm/api/paypal/status/\(payment)", headers: bearer(token))
    }

    func payment(ofCallback body: JSON) -> String? { nil }

    func settle(_ payment: String, _ merchant: Merchant) throws {
        try merchant.control("POST", "/_sandbox/payments/alphacomm/\(payment)/outcome", ["outcome": "success"])
        if merchant.manners.readsBack { _ = merchant.authorized { status(payment, token: $0) } }
        _ = merchant.authorized { Call(method: "GET", path: "/alphacomm/api/paypal/capture/\(payment)",
                                       headers: bearer($0)) }
    }
}
