import Testing
import HTTPServer
import TestSupport
@testable import ProjectCX

private func login(_ client: TestClient, _ user: String = "sandbox", _ password: String = "sandbox-secret") throws -> String {
    let response = try client.request("POST", "/projectcx/rest2/login", json: ["username": .string(user), "password": .string(password)])
    return try #require(response.json["auth_token"]?.stringValue)
}

private let goodOrder: JSON = ["amount": 10000, "description": "Test Payment", "info": "Payment 1", "callback": "https://your.callback.url"]

@Suite struct ProjectCXRoutesTests {
    @Test func loginReturnsTheDocumentedFields() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let response = try test.client().request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
        #expect(response.status == 200)
        guard case .object(let members) = response.json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["auth_token", "refresh_token", "token_type", "expires_in"])
        #expect(response.json["token_type"] == "Bearer")
        #expect(response.json["expires_in"] == 8400)
        #expect(response.json["auth_token"]?.stringValue?.count ?? 0 >= 32)
        #expect(response.json["auth_token"] != response.json["refresh_token"])
    }

    @Test func loginAcceptsCurlsFormLabelledJSONAndFormBodies() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let labelled = try client.request("POST", "/projectcx/rest2/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                          body: Array(#"{"username":"sandbox","password":"sandbox-secret"}"#.utf8))
        #expect(labelled.status == 200)
        let form = try client.request("POST", "/projectcx/rest2/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                      body: Array("username=sandbox2&password=sandbox2-secret".utf8))
        #expect(form.status == 200)
    }

    @Test(arguments: [
        (#"{"username":"sandbox","password":"nope"}"#, 401, "invalid_credentials"),
        (#"{"username":"ghost","password":"sandbox-secret"}"#, 401, "invalid_credentials"),
        (#"{"username":"sandbox"}"#, 400, "invalid_request"),
        (#"{"password":"sandbox-secret"}"#, 400, "invalid_request"),
        (#"{"username":"","password":"sandbox-secret"}"#, 400, "invalid_request"),
        (#"{"username":1,"password":"sandbox-secret"}"#, 400, "invalid_request"),
        (#"["sandbox","sandbox-secret"]"#, 400, "invalid_request"),
        (#"{"username":"sandbox","password":"#, 400, "invalid_request"),
        ("", 400, "invalid_request"),
    ])
    func badLogins(body: String, status: Int, error: String) throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let response = try test.client().request("POST", "/projectcx/rest2/login", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        #expect(response.status == status)
        #expect(response.json["error"] == .string(error))
        #expect(response.json["message"]?.stringValue?.isEmpty == false)
    }

    @Test func createPaymentReturnsAnOrderIdAndStoresThePendingOrder() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let token = try login(client)
        let response = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")], json: goodOrder)
        #expect(response.status == 200)
        let orderId = try #require(response.json["orderId"]?.stringValue)
        #expect(response.json == ["orderId": .string(orderId)])
        let stored = try test.sandbox.store.read { db in
            try db.queryOne("SELECT account, amount, description, info, callback, status FROM projectcx_orders WHERE id = ?", [orderId])
        }
        #expect(stored?["account"].int == 1)
        #expect(stored?["amount"].int == 10000)
        #expect(stored?["description"].string == "Test Payment")
        #expect(stored?["info"].string == "Payment 1")
        #expect(stored?["callback"].string == "https://your.callback.url")
        #expect(stored?["status"].string == "pending")
    }

    @Test func eachAccountsTokenCreatesItsOwnOrders() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let second = try login(client, "sandbox2", "sandbox2-secret")
        let response = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(second)")], json: goodOrder)
        let orderId = try #require(response.json["orderId"]?.stringValue)
        #expect(try test.sandbox.store.read { db in
            try db.queryOne("SELECT account FROM projectcx_orders WHERE id = ?", [orderId])?[0].int
        } == 2)
    }

    @Test(arguments: [
        (nil as String?, "Missing Bearer token"),
        ("Bearer not-a-token", "Invalid or expired token"),
        ("Basic c2FuZGJveDpzYW5kYm94LXNlY3JldA==", "Missing Bearer token"),
    ])
    func createPaymentNeedsAValidToken(authorization: String?, message: String) throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let headers = authorization.map { [("Authorization", $0)] } ?? []
        let response = try test.client().request("POST", "/projectcx/rest2/payment/create", headers: headers, json: goodOrder)
        #expect(response.status == 401)
        #expect(response.json["error"] == "unauthorized")
        #expect(response.json["message"]?.stringValue?.hasPrefix(message) == true)
        #expect(response["WWW-Authenticate"] == "Bearer realm=\"projectcx\"")
    }

    @Test(arguments: [
        (#"{"description":"x","callback":"https://a.b/c"}"#, "amount is required"),
        (#"{"amount":"10000","callback":"https://a.b/c"}"#, "amount must be an integer, got string"),
        (#"{"amount":100.5,"callback":"https://a.b/c"}"#, "amount must be an integer number of cents"),
        (#"{"amount":0,"callback":"https://a.b/c"}"#, "amount must be a positive number of cents"),
        (#"{"amount":-5,"callback":"https://a.b/c"}"#, "amount must be a positive number of cents"),
        (#"{"amount":100}"#, "callback is required"),
        (#"{"amount":100,"callback":"/relative"}"#, "callback must be an absolute http or https URI"),
        (#"{"amount":100,"callback":"ftp://a.b/c"}"#, "callback must be an absolute http or https URI"),
        (#"{"amount":100,"callback":"https://"}"#, "callback must be an absolute http or https URI"),
        (#"{"amount":100,"callback":42}"#, "callback must be a string, got number"),
        (#"{"amount":100,"callback":"https://a.b/c","description":["x"]}"#, "description must be a string, got array"),
    ])
    func createPaymentValidatesInput(body: String, message: String) throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let token = try login(client)
        let response = try client.request("POST", "/projectcx/rest2/payment/create",
                                          headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                          body: Array(body.utf8))
        #expect(response.status == 400)
        #expect(response.json["error"] == "invalid_request")
        #expect(response.json["message"]?.stringValue == message)
        #expect(try test.sandbox.store.read { db in try db.queryOne("SELECT COUNT(*) FROM projectcx_orders")?[0].int } == 0)
    }

    @Test func tokensDoNotSurviveAReset() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let token = try login(client)
        // Used once first: a token in the sandbox's cache must not outlive the reset either.
        #expect(try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")], json: goodOrder).status == 200)
        #expect(try client.request("POST", "/_sandbox/reset").status == 200)
        let response = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")], json: goodOrder)
        #expect(response.status == 401)
    }

    @Test func unknownPathsUseTheProvidersErrorShape() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let missing = try client.request("GET", "/projectcx/rest2/nothing")
        #expect(missing.status == 404)
        #expect(missing.json["error"] == "not_found")
        let wrong = try client.request("GET", "/projectcx/rest2/login")
        #expect(wrong.status == 405)
        #expect(wrong.json["error"] == "method_not_allowed")
        #expect(wrong["Allow"] == "POST, OPTIONS")
    }
}
