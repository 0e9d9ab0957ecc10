import Foundation
import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import Alphacomm

@Suite struct AlphacommOpenAPITests {
    @Test func theDocumentNamesExactlyTheRoutesAndMatchesResponses() throws {
        let test = try TestSandbox(providers: [AlphacommProvider()])
        let client = try test.client()
        let document = try client.request("GET", "/_sandbox/openapi/alphacomm.json")
        #expect(document.status == 200)
        #expect(OpenAPICheck.operations(document.json) == Set(test.sandbox.providerRouter(AlphacommProvider()).table))
        let example = try Examples.json("Alphacomm/create-request.json")

        var checks: [(String, JSON)] = [("#/components/schemas/CreateRequest", example)]
        func check(_ schema: String, _ response: TestResponse) { checks.append(("#/components/schemas/\(schema)", response.json)) }
        let token = try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials")
        check("Token", token)
        check("Error", try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=x&grant_type=client_credentials"))
        let auth = [("Authorization", "Bearer \(token.json["access_token"]?.stringValue ?? "")")]
        check("Created", try client.request("POST", "/alphacomm/api/paypal/create", headers: auth, json: example))
        check("Error", try client.request("POST", "/alphacomm/api/paypal/create", headers: auth, json: ["paymentId": 1]))
        check("Error", try client.request("POST", "/alphacomm/api/paypal/create", json: example))
        let id = example["paymentId"]?.stringValue ?? ""
        check("PaymentState", try client.request("GET", "/alphacomm/api/paypal/status/\(id)", headers: auth))
        check("Error", try client.request("GET", "/alphacomm/api/paypal/capture/\(id)", headers: auth))
        _ = try client.request("POST", "/_sandbox/payments/alphacomm/\(id)/outcome", json: ["outcome": "success"])
        check("PaymentState", try client.request("GET", "/alphacomm/api/paypal/capture/\(id)", headers: auth))
        check("Error", try client.request("GET", "/alphacomm/api/paypal/status/nope", headers: auth))
        let (status, text) = try OpenAPICheck.validate(document: document.body, checks)
        #expect(status == 0, "\(text)")
        #expect(text.contains("0 violations"), "\(text)")
    }
}
