import Foundation
import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import Census

@Suite struct CensusOpenAPITests {
    @Test func theDocumentNamesExactlyTheRoutesAndMatchesResponses() throws {
        let test = try TestSandbox(providers: [CensusProvider()])
        let client = try test.client()
        let document = try client.request("GET", "/_sandbox/openapi/census.json")
        #expect(document.status == 200)
        #expect(OpenAPICheck.operations(document.json) == Set(test.sandbox.providerRouter(CensusProvider()).table))

        var checks: [(String, JSON)] = []
        func check(_ schema: String, _ response: TestResponse) { checks.append(("#/components/schemas/\(schema)", response.json)) }
        func order(_ body: String) throws -> TestResponse {
            try client.request("POST", "/census/api/v1/payments/orders", headers: [formType], body: Array(body.utf8))
        }
        let base = "person_id=1%40census&description=d&amount=100&campaign_code=c"
        check("OrderCreated", try order(base + "&payment_method_type=direct_debit&iban=ES9121000418450200051332"))
        check("OrderCreated", try order(base + "&payment_method_type=existing_payment_method&payment_method_id=1"))
        check("OrderExternal", try order(base + "&payment_method_type=credit_card_external&return_url=https%3A%2F%2Fa.example%2F__RESULT__"))
        check("ErrorDetails", try order("payment_method_type=direct_debit&iban=XX"))
        check("ErrorDetails", try order(base + "&payment_method_type=existing_payment_method&payment_method_id=3"))
        check("Empty", try order(base.replacingOccurrences(of: "campaign_code=c", with: "campaign_code=sandbox-500") + "&payment_method_type=direct_debit&iban=ES9121000418450200051332"))
        check("Total", try client.request("GET", "/census/api/v1/payments/orders/total?campaign_code=c"))
        check("Empty", try client.request("GET", "/census/api/v1/payments/orders/total"))
        let methods = try client.request("GET", "/census/api/v1/payments/payment_methods?person_id=2%40census")
        for method in try #require(methods.json.arrayValue) { checks.append(("#/components/schemas/PaymentMethod", method)) }
        check("PaymentMethod", try client.request("GET", "/census/api/v1/es/payments/payment_methods/1"))
        check("Empty", try client.request("GET", "/census/api/v1/payments/payment_methods/999"))
        check("Empty", try client.request("GET", "/census/api/v1/payments/payment_methods?person_id=x"))
        let (status, text) = try OpenAPICheck.validate(document: document.body, checks)
        #expect(status == 0, "\(text)")
        #expect(text.contains("0 violations"), "\(text)")
    }
}
