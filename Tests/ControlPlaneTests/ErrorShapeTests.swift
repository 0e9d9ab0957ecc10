import Testing
import HTTPServer
import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// What the core answers for every provider (`ProviderError`): an unknown path, a method the
/// path does not take, a bad `X-PaySandbox-Outcome` on the creating call: each in its
/// provider's own shape, and nothing created.
@Suite struct ErrorShapeTests {
    let test: TestSandbox
    let client: TestClient

    init() throws {
        test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(),
                                           PayXTodayProvider(), AlphacommProvider()])
        client = try test.client()
    }

    @Test(arguments: [
        ("projectcx", "/rest2/nowhere", 404, #"{"error":"not_found","message":"No route for GET /projectcx/rest2/nowhere"}"#),
        ("paytomat", "/api/v1/nowhere", 404, #"{"error":"No route for GET /paytomat/api/v1/nowhere"}"#),
        ("census", "/api/v1/nowhere", 404, "{}"),
        ("payxtoday", "/api/v1/1/k/nowhere", 404,
         #"{"error":{"message":"No route for GET /payxtoday/api/v1/1/k/nowhere"}}"#),
        ("alphacomm", "/api/nowhere", 404,
         #"{"error":"not_found","error_description":"No route for GET /alphacomm/api/nowhere"}"#),
    ])
    func anUnknownPathInTheProvidersShape(provider: String, path: String, status: Int, body: String) throws {
        let response = try client.request("GET", "/" + provider + path)
        #expect(response.status == status)
        #expect(response.text == body)
    }

    @Test(arguments: [
        ("projectcx", "/rest2/login", 405, #"{"error":"method_not_allowed","message":"Method GET is not allowed; use POST"}"#),
        ("paytomat", "/api/v1/create_transaction", 405, #"{"error":"Method GET is not allowed; use POST"}"#),
        // Rails routes by method: a wrong one is an unknown route.
        ("census", "/api/v1/payments/orders", 404, "{}"),
        ("payxtoday", "/api/v1/1/k/payments/create", 405,
         #"{"error":{"message":"Method GET is not allowed; use POST"}}"#),
        ("alphacomm", "/api/paypal/create", 405,
         #"{"error":"method_not_allowed","error_description":"Method GET is not allowed; use POST"}"#),
    ])
    func aWrongMethodInTheProvidersShape(provider: String, path: String, status: Int, body: String) throws {
        let response = try client.request("GET", "/" + provider + path)
        #expect(response.status == status)
        #expect(response.text == body)
        if status == 405 { #expect(response["Allow"]?.contains("POST") == true) }
    }

    /// The header is read where each provider's create reads its input: a bad one is that
    /// provider's bad input (Census's as a form field's error), and creates nothing: all five.
    @Test func aBadOutcomeHeaderIsTheProvidersBadInput() throws {
        let bad = ("X-PaySandbox-Outcome", "maybe")
        let token = try client.projectCXToken()
        let projectcx = try client.request(
            "POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)"), bad],
            json: ["amount": 1000, "callback": "http://127.0.0.1:9/cb"])
        #expect(projectcx.status == 400)
        #expect(projectcx.json["error"] == "invalid_request")
        #expect(projectcx.json["message"]?.stringValue?.hasPrefix("X-PaySandbox-Outcome") == true)
        let census = try client.request(
            "POST", "/census/api/v1/payments/orders", headers: [bad],
            json: ["person_id": "1@census", "description": "x", "amount": 100, "campaign_code": "c",
                   "payment_method_type": "existing_payment_method", "payment_method_id": 1])
        #expect(census.status == 422)
        #expect(census.json["X-PaySandbox-Outcome"]?[0]?["error"] == "invalid")
        let payxtoday = try client.request(
            "POST", "/payxtoday/api/v1/1/sandbox-secret/payments/create", headers: [bad],
            json: ["id_client": 1, "price": "10", "period": 1])
        #expect(payxtoday.status == 422)
        let says = "X-PaySandbox-Outcome must start with success or failure, got 'maybe'"
        let paytomat = try client.request(
            "POST", "/paytomat/api/v1/create_transaction", headers: [basic("sandbox", "sandbox-secret"), bad],
            json: ["ref": 1, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
        #expect(paytomat.status == 400)
        #expect(paytomat.json == ["error": .string(says)])
        let alphacommToken = try #require(client.request(
            "GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials"
        ).json["access_token"]?.stringValue)
        let alphacomm = try client.request(
            "POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(alphacommToken)"), bad],
            json: Examples.alphacommCreateRequest)
        #expect(alphacomm.status == 400)
        #expect(alphacomm.json == ["error": "invalid_request", "error_description": .string(says)])
        #expect(try client.request("GET", "/_sandbox/payments").json["payments"] == [])
    }
}
