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

/// `--fixtures`: accounts with fixed credentials and settings, Census persons, calls and
/// payments made through each provider's own API, at start and at every reset; a wrong file
/// stops the start, says where, and changes nothing.
@Suite struct FixtureTests {
    static let all: [any Provider] = [
        ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider(),
    ]

    /// `json` written to a file of its own, loaded.
    private func fixtures(_ json: JSON, only: Bool = false) throws -> SandboxCore.Fixtures {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fixtures-\(UUID().uuidString).json").path
        try Data(json.serialized().utf8).write(to: URL(fileURLWithPath: path))
        return try SandboxCore.Fixtures.load(path, only: only)
    }

    private func sandbox(_ fixtures: SandboxCore.Fixtures, path: String = ":memory:") throws -> TestSandbox {
        try TestSandbox(providers: Self.all) {
            $0.databasePath = path
            $0.fixtures = fixtures
            $0.defaultAccounts = !fixtures.only
        }
    }

    private func demo(callback: String) -> JSON {
        let alphacomm = Examples.alphacommCreateRequest
        return [
            "accounts": [
                ["provider": "projectcx", "username": "demo-shop", "password": "demo-secret",
                 "settings": ["settle": ["mode": "delay", "seconds": 30]]],
                ["provider": "payxtoday", "login": "7", "secret": "demo-key",
                 "settings": ["webhook": ["payments": ["success": .string(callback)]]]],
                ["provider": "paytomat", "username": "demo", "password": "demo-pass"],
                ["provider": "alphacomm", "client_id": "demo", "client_secret": "demo-secret"],
            ],
            "census_persons": [["name": "Ada", "external_ids": ["participa": "2001"]]],
            "requests": [
                ["provider": "payxtoday", "account": "7", "path": "/api/v1/{id_reseller}/{secret_key}/clients/create",
                 "body": ["name": "Ada Lovelace", "id_country": 102, "e_mail": "ada@example.com"]],
            ],
            "payments": [
                ["provider": "projectcx", "account": "demo-shop", "outcome": "success",
                 "body": ["amount": 1000, "callback": .string(callback)]],
                ["provider": "projectcx", "account": "demo-shop", "body": ["amount": 2000, "callback": .string(callback)]],
                ["provider": "paytomat", "account": "demo",
                 "body": ["ref": 125, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100]],
                ["provider": "census",
                 "body": ["person_id": "1@census", "description": "Cuota", "amount": 500, "campaign_code": "cuotas",
                          "payment_method_type": "existing_payment_method", "payment_method_id": 2]],
                ["provider": "payxtoday", "account": 7, "body": ["id_client": 1, "price": 290, "period": 12]],
                ["provider": "alphacomm", "account": "demo", "body": alphacomm],
            ],
        ]
    }

    private func payments(_ client: TestClient) throws -> [String] {
        (try client.request("GET", "/_sandbox/payments?limit=1000").json["payments"]?.arrayValue ?? [])
            .map { "\($0["provider"]?.stringValue ?? "") \($0["account"]?.intValue ?? 0) \($0["status"]?.stringValue ?? "")" }
            .sorted()
    }

    @Test func theFilesStateIsMadeThroughEachProvidersOwnAPIAndAgainByAReset() throws {
        let receiver = try Receiver()
        let test = try sandbox(try fixtures(demo(callback: receiver.url)))
        let client = try test.client()
        let made = [
            "alphacomm 3 accepted", "census 1 pending", "paytomat 3 new", "payxtoday 7 pending", "projectcx 3 pending",
            "projectcx 3 success",
        ]
        let listed = try payments(client)
        #expect(listed == made, "\(listed)")
        // The paid order's callback is real: it reaches the merchant.
        let callback = try #require(receiver.wait(for: 1).first)
        #expect(callback.json["status"] == "Success")
        // The fixed credentials work as any client uses them, the settings are the file's.
        let login = try client.request(
            "POST", "/projectcx/rest2/login", json: ["username": "demo-shop", "password": "demo-secret"])
        #expect(login.status == 200)
        let shop = try client.request("GET", "/_sandbox/accounts/projectcx/3").json
        #expect(shop["username"] == "demo-shop")
        #expect(shop["settle"] == ["mode": "delay", "seconds": 30])
        #expect(try client.request("GET", "/payxtoday/api/v1/7/demo-key/clients?id_client=1").json["data"]?["name"] == "Ada Lovelace")
        #expect(try client.request("GET", "/_sandbox/census/persons/2001@participa").json["name"] == "Ada")
        #expect(try client.request("GET", "/_sandbox/accounts/projectcx/1").status == 200)
        // Whatever happens next, a reset makes the file's state again.
        _ = try client.request("POST", "/_sandbox/accounts", json: ["provider": "projectcx"])
        _ = try client.advance(3600)
        #expect(try client.request("GET", "/_sandbox/accounts/projectcx/4").status == 200)
        #expect(try client.request("POST", "/_sandbox/reset").status == 200)
        #expect(try client.request("GET", "/_sandbox/accounts/projectcx/4").status == 404)
        #expect(try payments(client) == made)
        let clock = try client.request("GET", "/_sandbox/clock").json
        #expect(Double(clock["advanced_seconds"]?.serialized() ?? "") == 0, "\(clock.serialized())")
        #expect(try client.request("GET", "/_sandbox/census/persons/2001@participa").json["name"] == "Ada")
    }

    /// Twenty resets at once each rebuild the file's state in one step: none fails, and what is
    /// left is the file's state once (its payments, one account per login, one person per id).
    @Test func twentyResetsAtOnceLeaveTheFilesStateOnce() throws {
        let receiver = try Receiver()
        let test = try sandbox(try fixtures(demo(callback: receiver.url)))
        let client = try test.client()
        let made = try payments(client)
        let seen = burst(port: test.port) { c in try c.request("POST", "/_sandbox/reset") }
        #expect(seen == Array(repeating: 200, count: 20))
        #expect(try payments(client) == made)
        #expect(try client.request("GET", "/_sandbox/accounts/projectcx/3").json["username"] == "demo-shop")
        #expect(try client.request("GET", "/_sandbox/accounts/projectcx/4").status == 404)
        #expect(try client.request("GET", "/_sandbox/census/persons/2001@participa").json["name"] == "Ada")
    }

    @Test func fixturesOnlyLeavesTheDefaultAccountsOut() throws {
        let only = try fixtures([
            "accounts": [["provider": "paytomat", "login": "mine", "secret": "s3cret"]],
            // A GET goes without a body, as the account's client sends it.
            "requests": [["provider": "paytomat", "method": "GET", "path": "/api/v1/balance"]],
        ], only: true)
        let test = try sandbox(only)
        let client = try test.client()
        #expect(try client.request("GET", "/_sandbox/accounts/paytomat/1").json["username"] == "mine")
        #expect(try client.request("GET", "/_sandbox/accounts/paytomat/2").status == 404)
        #expect(try client.request("GET", "/_sandbox/accounts/projectcx/1").status == 404)
        let basic = "Basic " + Base64.encode(Array("mine:s3cret".utf8))
        #expect(try client.request("GET", "/paytomat/api/v1/balance", headers: [("Authorization", basic)]).status == 200)
    }

    @Test(arguments: [
        (JSON.array([]), "", "must be a JSON object"),
        (["accounts": ["provider": "projectcx"]], "accounts", "must be an array"),
        (["accounts": [["provider": "projectcx"], ["provider": "projectcx", "password": 5]]],
         "accounts[1].password", "must be a string"),
        (["accounts": [["provider": "stripe"]]], "accounts[0].provider", "unknown provider 'stripe'"),
        (["accounts": [["username": "x"]]], "accounts[0].provider", "is required"),
        (["accounts": [["provider": "projectcx", "username": "sandbox"]]], "accounts[0].username", "is taken"),
        (["accounts": [["provider": "projectcx", "login": "a", "username": "b"]]], "accounts[0].username", "give one"),
        (["accounts": [["provider": "projectcx", "colour": "red"]]], "accounts[0].colour", "is not a field"),
        (["accounts": [["provider": "projectcx", "settings": ["settle": ["mode": "soon"]]]]],
         "accounts[0].settings.settle", "mode"),
        (["accounts": [["provider": "payxtoday", "id_reseller": "seven"]]], "accounts[0].id_reseller", "whole number"),
        (["accounts": [["provider": "census", "secret": "x"]]], "accounts[0].secret", "no secret"),
        (["accounts": [["provider": "projectcx", "settings": 5]]], "accounts[0].settings", "must be a JSON object"),
        (["accounts": [5]], "accounts[0]", "must be a JSON object"),
        (["census_persons": [["name": ""]]], "census_persons[0]", "name must be a non-empty string"),
        (["census_pets": [["name": "Rex"]]], "census_pets", "has no collection 'pets'"),
        (["widgets": [[:]]], "widgets", "is not a kind of fixture"),
        (["payments": [["provider": "projectcx", "body": ["amount": -1, "callback": "http://127.0.0.1:9/cb"]]]],
         "payments[0].body", "POST /rest2/payment/create answered 400"),
        (["payments": [["provider": "projectcx", "account": "nobody", "body": [:]]]], "payments[0].account", "no projectcx account"),
        (["payments": [["provider": "projectcx"]]], "payments[0].body", "is required"),
        (["payments": [["provider": "projectcx", "outcome": "maybe",
                        "body": ["amount": 100, "callback": "http://127.0.0.1:9/cb"]]]],
         "payments[0].outcome", "success"),
        (["requests": [["provider": "paytomat", "body": [:]]]], "requests[0].path", "is required"),
        (["requests": [["provider": "paytomat", "method": "GET", "path": "/api/v1/nope"]]], "requests[0].body",
         "GET /api/v1/nope answered 404"),
    ] as [(JSON, String, String)])
    func aWrongFileSaysWhereAndWhat(json: JSON, path: String, message: String) throws {
        var configuration = SandboxConfiguration(databasePath: ":memory:")
        configuration.logger = Logger(level: .error)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fixtures-\(UUID().uuidString).json").path
        try Data(json.serialized().utf8).write(to: URL(fileURLWithPath: file))
        do {
            configuration.fixtures = try SandboxCore.Fixtures.load(file, only: false)
            _ = try Sandbox(configuration: configuration, providers: Self.all)
            Issue.record("\(json.serialized()) was taken")
        } catch let error as FixtureError {
            #expect(error.file == file)
            #expect(error.path == path, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.description.hasPrefix("\(file): \(path.isEmpty ? "" : path + ": ")"))
        }
    }

    @Test func aWrongFileChangesNothingAndARestartKeepsWhatTheFileMade() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fixtures-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm", ".snapshots"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let good = try fixtures(["accounts": [["provider": "alphacomm", "client_id": "kept", "client_secret": "s"]]])
        do {
            let test = try sandbox(good, path: path)
            _ = try test.client().request("POST", "/_sandbox/accounts", json: ["provider": "paytomat", "login": "visitor"])
        }
        // The same file again: what visitors did is kept.
        do {
            let test = try sandbox(good, path: path)
            #expect(!test.sandbox.appliedFixtures)
            #expect(try test.client().request("GET", "/_sandbox/accounts/paytomat/3").json["username"] == "visitor")
        }
        // A file whose last payment fails: the start is refused and the state is as it was.
        let bad = try fixtures([
            "accounts": [["provider": "alphacomm", "client_id": "other", "client_secret": "s"]],
            "payments": [["provider": "projectcx", "body": ["amount": 0, "callback": "http://127.0.0.1:9/cb"]]],
        ])
        #expect(throws: FixtureError.self) { try sandbox(bad, path: path) }
        do {
            let test = try TestSandbox(providers: Self.all) { $0.databasePath = path }
            let client = try test.client()
            #expect(try client.request("GET", "/_sandbox/accounts/alphacomm/3").json["client_id"] == "kept")
            #expect(try client.request("GET", "/_sandbox/accounts/paytomat/3").json["username"] == "visitor")
        }
        // Scheduled resets to a snapshot beside fixtures: the snapshot is this sandbox's own.
        do {
            let test = try sandbox(good, path: path)
            #expect(try test.client().request("POST", "/_sandbox/snapshots", json: ["name": "demo"]).status == 201)
        }
        do {
            let test = try TestSandbox(providers: Self.all) {
                $0.databasePath = path
                $0.fixtures = good
                $0.resets = ResetSchedule(interval: 3_600_000, snapshot: "demo")
            }
            #expect(try test.client().request("GET", "/_sandbox/health").json["reset_to"] == "snapshot demo")
        }
        // Another file: its state is made.
        let other = try fixtures(["accounts": [["provider": "alphacomm", "client_id": "new", "client_secret": "s"]]])
        let test = try sandbox(other, path: path)
        #expect(test.sandbox.appliedFixtures)
        #expect(try test.client().request("GET", "/_sandbox/accounts/alphacomm/3").json["client_id"] == "new")
        #expect(try test.client().request("GET", "/_sandbox/accounts/paytomat/3").status == 404)
    }

    @Test func theControlPlaneMakesAccountsWithTheCredentialsAskedFor() throws {
        let test = try TestSandbox(providers: Self.all)
        let client = try test.client()
        let made = try client.request("POST", "/_sandbox/accounts", json: [
            "provider": "alphacomm", "client_id": "shop-a", "client_secret": "secret-a",
            "settings": ["settle": ["mode": "immediate"]],
        ])
        #expect(made.status == 201, "\(made.text)")
        #expect(made.json["client_id"] == "shop-a")
        #expect(made.json["client_secret"] == "secret-a")
        #expect(made.json["settle"]?["mode"] == "immediate")
        // An answer sent back is taken (its extra fields too), but its login is taken now.
        let again = try client.request("POST", "/_sandbox/accounts", json: made.json)
        #expect(again.status == 409)
        #expect(again.json["error"]?.stringValue?.contains("client_id 'shop-a' is taken") == true)
        let reseller = try client.request("POST", "/_sandbox/accounts", json: ["provider": "payxtoday", "id_reseller": "42"])
        #expect(reseller.json["account"] == 42)
        #expect(try client.request("GET", "/payxtoday/api/v1/42/\(reseller.json["secret_key"]?.stringValue ?? "")/options")
            .json["data"]?["reseller"] == 42)
        let bad = try client.request("POST", "/_sandbox/accounts", json: ["provider": "projectcx", "password": ""])
        #expect(bad.status == 400)
        #expect(bad.json["error"]?.stringValue?.hasPrefix("password must be a string") == true)
    }
}
