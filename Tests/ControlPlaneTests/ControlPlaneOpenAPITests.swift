import Foundation
import Testing
import HTTPServer
@testable import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// The control plane's own OpenAPI document (`/_sandbox/openapi/sandbox.json`) names exactly
/// its routes (the dashboard's HTML pages aside) and describes real answers; schemathesis holds
/// it to the server in `.ci/run` as it does the providers' documents.
@Suite struct ControlPlaneOpenAPITests {
    @Test func theDocumentNamesExactlyTheRoutesAndMatchesResponses() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()])
        let client = try test.client()
        let document = try client.request("GET", "/_sandbox/openapi/sandbox.json")
        #expect(document.status == 200)
        #expect(document.json["servers"] == [["url": "http://localhost/_sandbox"]])
        // The dashboard's pages, and its forms' actions under /ui/.
        let dashboard: Set<String> = ["GET /", "GET /payments/:provider/:id/view", "GET /accounts/:provider/:account/view"]
        let table = Set(ControlPlane(sandbox: test.sandbox).routes().table.filter { !$0.contains(" /ui/") })
            .subtracting(dashboard)
        #expect(OpenAPICheck.operations(document.json) == table)

        var checks: [(String, JSON)] = []
        func check(_ schema: String, _ response: TestResponse) { checks.append(("#/components/schemas/\(schema)", response.json)) }
        let receiver = try Receiver()
        let token = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
            .json["auth_token"]?.stringValue ?? ""
        let order = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                       json: ["amount": 100, "callback": .string(receiver.url)]).json["orderId"]?.stringValue ?? ""
        check("Payment", try client.request("POST", "/_sandbox/payments/projectcx/\(order)/outcome", json: ["outcome": "success"]))
        receiver.wait(for: 1)
        check("Health", try client.request("GET", "/_sandbox/health"))
        check("Payment", try client.request("GET", "/_sandbox/payments/projectcx/\(order)"))
        for payment in try #require(client.request("GET", "/_sandbox/payments").json["payments"]?.arrayValue) {
            checks.append(("#/components/schemas/Payment", payment))
        }
        let deliveries = try #require(client.request("GET", "/_sandbox/deliveries").json["deliveries"]?.arrayValue)
        #expect(!deliveries.isEmpty)
        for delivery in deliveries { checks.append(("#/components/schemas/Delivery", delivery)) }
        for entry in try #require(client.request("GET", "/_sandbox/requests").json["requests"]?.arrayValue) {
            checks.append(("#/components/schemas/JournalEntry", entry))
        }
        check("Account", try client.request("POST", "/_sandbox/accounts", json: ["provider": "payxtoday"]))
        check("Account", try client.request("GET", "/_sandbox/accounts/paytomat/1"))
        check("FaultRule", try client.request("POST", "/_sandbox/faults", json: ["provider": "census", "fault": "error", "status": 503]))
        check("FaultRule", try client.request("POST", "/_sandbox/faults", json: ["provider": "projectcx", "route": "deliveries",
                                                                                 "fault": "drop_first", "attempts": 2, "count": 1]))
        check("Error", try client.request("POST", "/_sandbox/faults", json: ["provider": "census", "fault": "latency"]))
        check("Error", try client.request("GET", "/_sandbox/payments/projectcx/nope"))
        check("VerifyAnswer", try client.request("POST", "/_sandbox/verify", json: ["provider": "projectcx"]))
        check("VerifyAnswer", try client.request("POST", "/_sandbox/verify", json: ["provider": "projectcx", "where": ["body.amount": 1]]))
        check("Report", try client.request("GET", "/_sandbox/accounts/projectcx/1/report"))
        check("Trial", try client.request("POST", "/_sandbox/accounts/paytomat/1/trials", json: ["plan": "all", "seed": 3]))
        check("Trial", try client.request("GET", "/_sandbox/accounts/paytomat/1/trials"))
        let (status, text) = try OpenAPICheck.validate(document: document.body, checks)
        #expect(status == 0, "\(text)")
        #expect(text.contains("0 violations"), "\(text)")
    }
}
