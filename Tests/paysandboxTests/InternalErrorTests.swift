import Foundation
import Synchronization
import Testing
import HTTPServer
import SQLiteStore
import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// A real fault under the running server: another connection to its database file adds a
/// trigger that makes every insert into the uniform payments table fail, as a full disk or a
/// broken file would. Each provider's create then answers 500 in its own error shape with a
/// short message and an error id (also in `X-PaySandbox-Error-Id`), never the SQL; the log has
/// the SQL under that id; nothing of the failed create is left behind.
@Suite struct InternalErrorTests {
    @Test func aStoreFaultAnswersInEachProvidersShapeAndTheLogHasTheDetails() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paysandbox-fault-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let lines = Mutex<[String]>([])
        let test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()],
                                   configureSandbox: { $0.databasePath = path },
                                   configure: { $0.logger = Logger(level: .error) { line in lines.withLock { $0.append(line) } } })
        let client = try test.client()
        // Credentials and a PayXToday client first: those calls do not insert payments.
        let cxToken = try #require(try client.request("POST", "/projectcx/rest2/login",
                                                      json: ["username": "sandbox", "password": "sandbox-secret"]).json["auth_token"]?.stringValue)
        let acToken = try #require(try client.request(
            "GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials").json["access_token"]?.stringValue)
        let px = "/payxtoday/api/v1/1/sandbox-secret"
        let pxClient = try #require(try client.request("POST", px + "/clients/create", headers: [formType],
                                                       body: Array("name=Ada+Lovelace&id_country=102&e_mail=ada%40example.com".utf8))
                                    .json["data"]?["id_client"]?.intValue)
        let fault = try Database(path: path)
        try fault.execute("CREATE TRIGGER disk_on_fire BEFORE INSERT ON payments BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")

        let paymentsBefore = try client.request("GET", "/_sandbox/payments").json["payments"]?.arrayValue?.count
        let basic = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
        let answers: [(String, TestResponse)] = [
            ("projectcx", try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(cxToken)")],
                                             json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"])),
            ("paytomat", try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [basic],
                                            json: ["order_id": "A1", "currency_in": "USD", "currency_out": "BTC", "amount_in": 10])),
            ("census", try client.request("POST", "/census/api/v1/payments/orders", headers: [formType], body: Array(
                "person_id=1%40census&description=d&amount=1000&campaign_code=c&payment_method_type=existing_payment_method&payment_method_id=1".utf8))),
            ("payxtoday", try client.request("POST", px + "/payments/create", headers: [formType],
                                             body: Array("id_client=\(pxClient)&price=290&period=12".utf8))),
            ("alphacomm", try client.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(acToken)")],
                                             body: Examples.alphacommCreateRequest.serializedBytes())),
        ]
        for (provider, r) in answers {
            #expect(r.status == 500, "\(provider): \(r.text)")
            let id = try #require(r["X-PaySandbox-Error-Id"], "\(provider)")
            #expect(id.count == 12, "\(provider)")
            #expect(!r.text.contains("INSERT") && !r.text.contains("disk on fire") && !r.text.contains("payments ("), "\(provider): \(r.text)")
            let message = "Internal error \(id): the sandbox's log has the details"
            switch provider {
            case "projectcx": #expect(r.json == ["error": "internal_error", "message": .string(message)])
            case "paytomat": #expect(r.json == ["error": .string(message)])
            case "census": #expect(r.json == [:])
            case "payxtoday": #expect(r.json == ["error": ["message": .string(message)]])
            default: #expect(r.json == ["error": "server_error", "error_description": .string(message)])
            }
            let logged = lines.withLock { $0 }.first { $0.contains(id) } ?? ""
            #expect(logged.contains("disk on fire"), "\(provider): \(logged)")
            #expect(logged.contains("INSERT INTO payments"), "\(provider): \(logged)")
        }
        try fault.execute("DROP TRIGGER disk_on_fire")
        // Nothing of the failed creates is left: no payment, no provider row, no job, no delivery.
        #expect(try client.request("GET", "/_sandbox/payments").json["payments"]?.arrayValue?.count == paymentsBefore)
        let leftovers = try test.sandbox.store.read { db in
            try ["projectcx_orders", "paytomat_transactions", "census_orders", "payxtoday_payments", "alphacomm_payments", "jobs", "deliveries"]
                .map { try db.queryOne("SELECT COUNT(*) FROM \($0)")?[0].int ?? -1 }
        }
        #expect(leftovers == [0, 0, 0, 0, 0, 0, 0])
        // And the control plane's own failures keep its shape: a fault under an account PATCH.
        try fault.execute("CREATE TRIGGER settings_on_fire BEFORE UPDATE ON accounts BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
        let patch = try client.request("PATCH", "/_sandbox/accounts/projectcx/1", json: ["settle": ["mode": "immediate"]])
        #expect(patch.status == 500)
        let id = try #require(patch["X-PaySandbox-Error-Id"])
        #expect(patch.json == ["error": .string("Internal error \(id): the sandbox's log has the details")])
        try fault.execute("DROP TRIGGER settings_on_fire")
        // The server goes on.
        #expect(try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(cxToken)")],
                                   json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"]).status == 200)
    }
}
