import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import PayXToday

@Suite struct PayXTodayOpenAPITests {
    @Test func theDocumentNamesExactlyTheRoutesAndMatchesResponses() throws {
        let receiver = try Receiver()
        let test = try TestSandbox(providers: [PayXTodayProvider()])
        let client = try test.client()
        let document = try client.request("GET", "/_sandbox/openapi/payxtoday.json")
        #expect(document.status == 200)
        #expect(OpenAPICheck.operations(document.json) == Set(test.sandbox.providerRouter(PayXTodayProvider()).table))

        var checks: [(String, JSON)] = []
        func data(_ schema: String, _ response: TestResponse) {
            checks.append(("#/components/schemas/\(schema)", response.json["data"] ?? .null))
            #expect(response.status == 200, "\(response.text)")
        }
        func error(_ response: TestResponse) { checks.append(("#/components/schemas/Error", response.json)) }
        let api = "/payxtoday/api/v1/1/sandbox-secret/"
        _ = try client.request("PATCH", "/_sandbox/accounts/payxtoday/1", json: ["webhook": ["payments": ["success": .string(receiver.url)]]])
        data("Options", try client.request("GET", api + "options"))
        for country in try #require(client.request("GET", api + "countries").json["data"]?.arrayValue) { checks.append(("#/components/schemas/Country", country)) }
        data("PaymentSystems", try client.request("GET", api + "payment-systems"))
        let created = try client.request("POST", api + "clients/create", headers: [formType], body: Array("name=T&id_country=102&e_mail=t%40example.com".utf8))
        data("Client", created)
        data("Client", try client.request("GET", api + "clients?id_client=1"))
        data("Client", try client.request("GET", api + "clients/find/email?email=t%40example.com"))
        data("ClientPaymentSystems", try client.request("GET", api + "clients/payment-systems?id_client=1"))
        data("Client", try client.request("POST", api + "clients/update", headers: [formType], body: Array("id_client=1&city=Oslo".utf8)))
        let payment = try client.request("POST", api + "payments/create", headers: [formType], body: Array("id_client=1&price=290&period=12".utf8))
        data("Payment", payment)
        let uuid = payment.json["data"]?["uuid_payment"]?.stringValue ?? ""
        _ = try client.request("POST", "/payxtoday/pay/\(uuid)", headers: [formType], body: Array("card_number=4111111111111111&card_exp=01%2F30&card_cvc=123".utf8))
        data("Payment", try client.request("GET", api + "payments/uuid?uuid_payment=\(uuid)"))
        for p in try #require(client.request("GET", api + "payments?id_client=1").json["data"]?.arrayValue) { checks.append(("#/components/schemas/Payment", p)) }
        let second = try client.request("POST", api + "payments/create", headers: [formType], body: Array("id_client=1&price=1.5&period=1".utf8))
        data("Success", try client.request("POST", api + "payments/delete", headers: [formType], body: Array("id_payment=\(second.json["data"]?["id_payment"]?.intValue ?? 0)".utf8)))
        data("Sent", try client.request("GET", api + "webhook/test/success"))
        checks.append(("#/components/schemas/Webhook", try #require(receiver.wait(for: 1).first).json))
        error(try client.request("GET", "/payxtoday/api/v1/1/nope/options"))
        error(try client.request("GET", api + "clients?id_client=99"))
        error(try client.request("POST", api + "clients/create", headers: [formType], body: Array("name=".utf8)))
        data("Success", try client.request("POST", api + "clients/delete", headers: [formType], body: Array("id_client=1".utf8)))
        let (status, text) = try OpenAPICheck.validate(document: document.body, checks)
        #expect(status == 0, "\(text)")
        #expect(text.contains("0 violations"), "\(text)")
    }
}
