import Testing
import HTTPServer
import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// A reset leaves the sandbox as a fresh start with the same flags would: ids, the seeded
/// generator, the clock, everything a client can see.
@Suite struct ResetTests {
    /// Calls of every provider and the control plane that make ids, tokens and addresses;
    /// their answers, byte for byte.
    private func run(_ client: TestClient) throws -> [String] {
        var answers: [String] = []
        func call(_ method: String, _ path: String, headers: [(String, String)] = [], json: JSON? = nil,
                  form fields: [(String, String)]? = nil) throws {
            let answer = fields.map { fields in
                try? client.request(method, path, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
                                    body: form(fields))
            } ?? (try? client.request(method, path, headers: headers, json: json))
            let given = try #require(answer, "\(method) \(path) answered nothing")
            answers.append("\(given.status) \(given.text)")
        }
        let paytomat = [basic("sandbox", "sandbox-secret")]
        for ref in [1, 2] {
            try call("POST", "/paytomat/api/v1/create_transaction", headers: paytomat,
                     json: ["ref": .int(ref), "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
        }
        try call("GET", "/paytomat/api/v1/token", headers: paytomat)
        try call("POST", "/paytomat/api/v1/create_product", headers: paytomat,
                 json: ["title": "Pierogi", "amount": 15, "currency": "USD", "unit": "piece"])
        try call("POST", "/payxtoday/api/v1/1/sandbox-secret/clients/create",
                 form: [("name", "Ada Lovelace"), ("id_country", "102"), ("e_mail", "ada@example.com")])
        try call("POST", "/payxtoday/api/v1/1/sandbox-secret/payments/create",
                 form: [("id_client", "1"), ("price", "290"), ("period", "12")])
        try call("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
        try call("GET", "/alphacomm/oauth/v2/token?grant_type=client_credentials&client_id=sandbox&client_secret=sandbox-secret")
        try call("POST", "/census/api/v1/payments/orders", form: [
            ("person_id", "1@census"), ("description", "Cuota"), ("amount", "1000"), ("campaign_code", "cuotas"),
            ("payment_method_type", "existing_payment_method"), ("payment_method_id", "2")])
        try call("POST", "/_sandbox/faults", json: ["provider": "paytomat", "fault": "error", "status": 503, "count": 0])
        try call("POST", "/_sandbox/accounts", json: ["provider": "paytomat"])
        try call("GET", "/_sandbox/payments")
        return answers
    }

    @Test func theSameCallsAfterAResetAnswerWhatAFreshStartDid() throws {
        let test = try TestSandbox(
            providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()],
            configureSandbox: {
                $0.seed = 7
                $0.startTime = 1_798_761_600_000  // 2027-01-01T00:00:00Z, frozen
            })
        let client = try test.client()
        let fresh = try run(client)
        #expect(fresh.allSatisfy { $0.hasPrefix("2") }, "\(fresh)")
        #expect(try client.request("POST", "/_sandbox/reset").status == 200)
        let afterReset = try run(client)
        for (first, again) in zip(fresh, afterReset) { #expect(first == again) }
        #expect(fresh.count == afterReset.count)
    }
}
