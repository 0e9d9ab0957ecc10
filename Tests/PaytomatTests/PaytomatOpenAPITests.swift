import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import Paytomat

@Suite struct PaytomatOpenAPITests {
    @Test func theDocumentNamesExactlyTheRoutesAndMatchesResponses() throws {
        let receiver = try Receiver()
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let document = try client.request("GET", "/_sandbox/openapi/paytomat.json")
        #expect(document.status == 200)
        #expect(OpenAPICheck.operations(document.json) == Set(test.sandbox.providerRouter(PaytomatProvider()).table))
        let auth = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
        var checks: [(String, JSON)] = []
        func check(_ pointer: String, _ value: JSON) { checks.append((pointer, value)) }
        func body(_ path: String, _ method: String = "get", _ code: String = "200") -> String {
            "#/paths/\(path.replacingOccurrences(of: "/", with: "~1"))/\(method)/responses/\(code)/content/application~1json/schema"
        }
        func get(_ path: String) throws -> JSON { try client.request("GET", "/paytomat" + path, headers: [auth]).json }
        func post(_ path: String, _ json: JSON) throws -> JSON { try client.request("POST", "/paytomat" + path, headers: [auth], json: json).json }
        check(body("/api/v1/token"), try get("/api/v1/token"))
        check(body("/api/v1/currencies"), try get("/api/v1/currencies"))
        check(body("/api/v1/exchange_rates"), try get("/api/v1/exchange_rates?currency=BTC"))
        let created = try post("/api/v1/create_transaction", ["ref": 125, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100, "callback_url": .string(receiver.url)])
        check(body("/api/v1/create_transaction", "post"), created)
        let id = created["id"]?.intValue ?? 0
        check(body("/api/v1/transaction"), try get("/api/v1/transaction?id=\(id)"))
        _ = try client.request("POST", "/_sandbox/payments/paytomat/\(id)/outcome", json: ["outcome": "success"])
        check("#/components/schemas/Postback", try #require(receiver.wait(for: 1).first).json)
        check(body("/api/v1/balance"), try get("/api/v1/balance"))
        check(body("/api/v1/chargeback_transaction", "post"), try post("/api/v1/chargeback_transaction", ["id": .int(id)]))
        check(body("/api/v1/transactions"), try get("/api/v1/transactions?order_by=-updated&limit=10"))
        let other = try post("/api/v1/create_transaction", ["order_id": "B2", "currency_in": "EUR", "currency_out": "DASH", "amount_in": "3.5"])
        check(body("/api/v1/cancel_transaction", "post"), try post("/api/v1/cancel_transaction", ["id": .int(other["id"]?.intValue ?? 0)]))
        check(body("/api/v1/broadcast_transaction", "post"), try post("/api/v1/broadcast_transaction", ["currency": "BTC", "txid": "ab", "receiver": "cd", "amount": 1]))
        let product = try post("/api/v1/create_product", ["title": "Pierogi", "amount": 15, "currency": "UAH", "unit": "piece"])
        check(body("/api/v1/create_product", "post"), product)
        check(body("/api/v1/product"), try get("/api/v1/product?id=\(product["id"]?.intValue ?? 0)"))
        check(body("/api/v1/product/{id}", "put"), try client.request("PUT", "/paytomat/api/v1/product/\(product["id"]?.intValue ?? 0)", headers: [auth], json: ["amount": 20]).json)
        check(body("/api/v1/payment_url"), try get("/api/v1/payment_url"))
        check("#/components/schemas/Error", try get("/api/v1/transaction?id=999"))
        check("#/components/schemas/Error", try client.request("GET", "/paytomat/api/v1/balance").json)
        let (status, text) = try OpenAPICheck.validate(document: document.body, checks)
        #expect(status == 0, "\(text)")
        #expect(text.contains("0 violations"), "\(text)")
    }
}
