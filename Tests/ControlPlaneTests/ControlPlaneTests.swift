import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import ProjectCX

/// The control plane's account and journal calls, driven through Project CX.
@Suite struct ControlPlaneTests {
    @Test func aFreshAccountHasWorkingCredentialsOfItsOwn() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        let created = try client.request("POST", "/_sandbox/accounts", json: ["provider": "projectcx"])
        #expect(created.status == 201)
        #expect(created.json["account"] == 3)
        #expect(created.json["settle"] == ["mode": "manual", "seconds": 0])
        let login = try #require(created.json["login"]?.stringValue)
        let secret = try #require(created.json["secret"]?.stringValue)
        #expect(login != "sandbox" && secret.count >= 20)
        let token = try client.request("POST", "/projectcx/rest2/login", json: ["username": .string(login), "password": .string(secret)])
        #expect(token.status == 200)
        let order = try client.request("POST", "/projectcx/rest2/payment/create",
                                       headers: [("Authorization", "Bearer \(token.json["auth_token"]?.stringValue ?? "")")],
                                       json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"])
        let list = try client.request("GET", "/_sandbox/payments?account=3").json["payments"]?.arrayValue ?? []
        #expect(list.compactMap { $0["id"]?.stringValue } == [order.json["orderId"]?.stringValue ?? "?"])
        #expect(try client.request("GET", "/_sandbox/payments?account=1").json["payments"] == [])
        let fetched = try client.request("GET", "/_sandbox/accounts/projectcx/3")
        #expect(fetched.json["login"] == .string(login))
    }

    @Test(arguments: [
        ("POST", "/_sandbox/accounts", #"{"provider":"nope"}"#, 404),
        ("POST", "/_sandbox/accounts", #"{}"#, 400),
        ("POST", "/_sandbox/accounts", #"[1]"#, 400),
        ("GET", "/_sandbox/accounts/projectcx/99", "", 404),
        ("GET", "/_sandbox/accounts/projectcx/abc", "", 404),
        ("PATCH", "/_sandbox/accounts/projectcx/1", #"{"settle":{"mode":"sometimes"}}"#, 400),
        ("PATCH", "/_sandbox/accounts/projectcx/1", #"{"settle":{"mode":"delay"}}"#, 400),
        ("PATCH", "/_sandbox/accounts/projectcx/1", #"{"settle":{"mode":"delay","seconds":-1}}"#, 400),
        ("POST", "/_sandbox/clock/advance", #"{"seconds":"ten"}"#, 400),
        ("POST", "/_sandbox/clock/advance", #"{"seconds":-5}"#, 400),
        ("POST", "/_sandbox/clock/advance", #"{}"#, 400),
        ("GET", "/_sandbox/deliveries?state=lost", "", 400),
        ("GET", "/_sandbox/deliveries?limit=-1", "", 400),
        ("GET", "/_sandbox/deliveries/abc", "", 404),
        ("GET", "/_sandbox/payments?account=x", "", 400),
    ])
    func badControlPlaneInput(method: String, path: String, body: String, status: Int) throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let response = try test.client().request(method, path, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        #expect(response.status == status, "\(response.text)")
        #expect(response.json["error"]?.stringValue?.isEmpty == false)
        #expect(try test.client().request("GET", "/_sandbox/accounts/projectcx/1").json["settle"] == ["mode": "manual", "seconds": 0])
    }

    @Test func patchMergesSettingsAndNullRemovesAKey() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        _ = try client.request("PATCH", "/_sandbox/accounts/projectcx/1", json: ["webhook": ["payments": ["success": "http://a/s"]]])
        let merged = try client.request("PATCH", "/_sandbox/accounts/projectcx/1", json: ["webhook": ["payments": ["error": "http://a/e"]]])
        #expect(merged.json["settings"] == ["webhook": ["payments": ["success": "http://a/s", "error": "http://a/e"]]])
        let removed = try client.request("PATCH", "/_sandbox/accounts/projectcx/1", json: ["webhook": nil])
        #expect(removed.json["settings"] == [:])
    }

    @Test func theJournalShowsWhatTheClientSent() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()])
        let client = try test.client()
        _ = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "wrong"])
        _ = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
        _ = try client.request("GET", "/_sandbox/health")
        let journal = try client.request("GET", "/_sandbox/requests?provider=projectcx&method=post&path=/rest2/login").json
        let entries = journal["requests"]?.arrayValue ?? []
        #expect(entries.count == 2)
        #expect(entries.first?["status"] == 200)
        #expect(entries.last?["status"] == 401)
        #expect(entries.last?["body"] == ["username": "sandbox", "password": "wrong"])
        #expect(entries.last?["path"] == "/projectcx/rest2/login")
        #expect(entries.last?["response"]?["body"]?["error"] == "invalid_credentials")
        #expect(entries.first?["headers"]?.arrayValue?.contains(["Content-Type", "application/json"]) == true)
        #expect(try client.request("GET", "/_sandbox/requests?path=/_sandbox").json["requests"] == [])
        _ = try client.request("POST", "/_sandbox/reset")
        #expect(try client.request("GET", "/_sandbox/requests").json["requests"] == [])
    }

    @Test func theJournalKeepsOnlyTheNewest() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider()], configureSandbox: { $0.journalSize = 3 })
        let client = try test.client()
        for i in 0 ..< 5 { _ = try client.request("GET", "/projectcx/payment?orderId=o\(i)") }
        let targets = try client.request("GET", "/_sandbox/requests").json["requests"]?.arrayValue?.compactMap { $0["target"]?.stringValue }
        #expect(targets == ["/projectcx/payment?orderId=o4", "/projectcx/payment?orderId=o3", "/projectcx/payment?orderId=o2"])
    }
}
