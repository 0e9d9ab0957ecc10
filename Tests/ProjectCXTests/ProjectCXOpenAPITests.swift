import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import ProjectCX

@Suite struct ProjectCXOpenAPITests {
    @Test func theDocumentIsServedAndNamesExactlyTheRoutes() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let response = try test.client().request("GET", "/_sandbox/openapi/projectcx.json")
        #expect(response.status == 200)
        #expect(response.json["openapi"] == "3.1.0")
        #expect(response.json["servers"] == [["url": "http://localhost/projectcx"]])
        let documented = OpenAPICheck.operations(response.json)
        let routed = Set(test.sandbox.providerRouter(ProjectCXProvider()).table)
        #expect(documented == routed)
        #expect(try test.client().request("GET", "/_sandbox/openapi/nope.json").status == 404)
    }

    /// Real responses and a real callback, validated against the document's schemas with
    /// openapi-spec-validator and jsonschema (scripts/validate-openapi.py).
    @Test func responsesMatchTheDocument() throws {
        let receiver = try Receiver()
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        var checks: [(String, JSON)] = []
        func check(_ schema: String, _ value: JSON) { checks.append(("#/components/schemas/\(schema)", value)) }
        let login = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
        check("LoginResponse", login.json)
        check("Error", try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "x"]).json)
        check("Error", try client.request("POST", "/projectcx/rest2/login", json: ["username": 1]).json)
        let token = login.json["auth_token"]?.stringValue ?? ""
        let created = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                         json: ["amount": 10000, "description": "Test Payment", "info": "Payment 1", "callback": .string(receiver.url)])
        check("PaymentResponse", created.json)
        check("Error", try client.request("POST", "/projectcx/rest2/payment/create", json: ["amount": 1]).json)
        check("Error", try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")], json: ["amount": -1]).json)
        check("Error", try client.request("GET", "/projectcx/nowhere").json)
        _ = try client.request("POST", "/_sandbox/payments/projectcx/\(created.json["orderId"]?.stringValue ?? "")/outcome", json: ["outcome": "success"])
        check("PaymentResult", try #require(receiver.wait(for: 1).first).json)
        check("PaymentRequest", ["amount": 10000, "description": "Test Payment", "info": "Payment 1", "callback": "https://your.callback.url"])

        let document = try client.request("GET", "/_sandbox/openapi/projectcx.json").body
        let (status, text) = try OpenAPICheck.validate(document: document, checks)
        #expect(status == 0, "\(text)")
        #expect(text.contains("0 violations"), "\(text)")
    }
}
