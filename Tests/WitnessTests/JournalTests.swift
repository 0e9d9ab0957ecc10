import Foundation
import Testing
import Alphacomm
import HTTPServer
import PayXToday
import Paytomat
import SQLiteStore
import ProjectCX
@testable import SandboxCore
import TestSupport

private func entries(_ client: TestClient, _ query: String) throws -> [JSON] {
    try #require(client.request("GET", "/_sandbox/requests?" + query).json["requests"]?.arrayValue)
}

/// The journal as the witness reads it: attributed, kept in the store, per account.
@Suite struct JournalTests {
    @Test func eachRequestKnowsItsAccountRouteAndPayment() throws {
        let test = try TestSandbox(providers: [PaytomatProvider(), AlphacommProvider(), PayXTodayProvider(),
                                               ProjectCXProvider()])
        let client = try test.client()
        let made = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [basic("sandbox2", "sandbox2-secret")],
                                      json: ["ref": 1, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
        let id = try #require(made.json["id"]?.intValue)
        _ = try client.request("GET", "/paytomat/api/v1/transaction?id=\(id)", headers: [basic("sandbox2", "wrong")])
        _ = try client.request("GET", "/paytomat/api/v1/nothing", headers: [basic("sandbox", "sandbox-secret")])
        let paytomat = try entries(client, "provider=paytomat")
        #expect(paytomat.map { $0["account"] } == [1, 2, 2])
        #expect(paytomat.map { $0["route"] } == [.null, "GET /api/v1/transaction", "POST /api/v1/create_transaction"])
        #expect(paytomat.map { $0["payment"] } == [.null, .string(String(id)), .string(String(id))])
        #expect(paytomat.map { $0["status"] } == [404, 401, 200])

        // A path parameter names the payment; an expired token still names its account.
        let token = try #require(client.request(
            "GET", "/alphacomm/oauth/v2/token?grant_type=client_credentials&client_id=sandbox2&client_secret=sandbox2-secret"
        ).json["access_token"]?.stringValue)
        _ = try client.advance(3601)
        let refused = try client.request("GET", "/alphacomm/api/paypal/status/abc", headers: [("Authorization", "Bearer \(token)")])
        #expect(refused.status == 401)
        let alphacomm = try #require(entries(client, "provider=alphacomm&limit=1").first)
        #expect(alphacomm["account"] == 2)
        #expect(alphacomm["route"] == "GET /api/paypal/status/{paymentId}")
        #expect(alphacomm["payment"] == "abc")

        // Credentials in the path; the payment from the answer's `data`.
        let api = "/payxtoday/api/v1/1/sandbox-secret"
        let person = try client.request("POST", api + "/clients/create", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                        body: form([("name", "Ada L"), ("id_country", "102"), ("e_mail", "a@example.com")]))
        let clientID = try #require(person.json["data"]?["id_client"]?.intValue)
        let payment = try client.request("POST", api + "/payments/create", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                         body: form([("id_client", String(clientID)), ("price", "290"), ("period", "12")]))
        let paymentID = try #require(payment.json["data"]?["id_payment"]?.intValue, "\(payment.text)")
        let payx = try #require(entries(client, "provider=payxtoday&limit=1").first)
        #expect(payx["account"] == 1)
        #expect(payx["route"] == "POST /api/v1/{id_reseller}/{secret_key}/payments/create")
        #expect(payx["payment"] == .string(String(paymentID)))

        // A wrong password names the login's account.
        _ = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox2", "password": "nope"])
        #expect(try entries(client, "provider=projectcx").first?["account"] == 2)
    }

    @Test func theRequestsListFiltersByAccountRoutePaymentAndStatus() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        for (user, ref) in [("sandbox", 1), ("sandbox", 2), ("sandbox2", 3)] {
            _ = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [basic(user, user + "-secret")],
                                   json: ["ref": .int(ref), "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
        }
        _ = try client.request("GET", "/paytomat/api/v1/transaction?id=1", headers: [basic("sandbox", "sandbox-secret")])
        _ = try client.request("GET", "/paytomat/api/v1/transaction?id=1", headers: [basic("sandbox", "no")])
        let ids = { (query: String) in try entries(client, query).compactMap { $0["id"]?.intValue } }
        #expect(try ids("account=2") == [3])
        #expect(try ids("account=1") == [5, 4, 2, 1])
        #expect(try ids("route=GET%20/api/v1/transaction") == [5, 4])
        #expect(try ids("payment=1") == [5, 4, 1])
        #expect(try ids("status=401") == [5])
        #expect(try ids("status=2xx&account=1&route=POST%20/api/v1/create_transaction") == [2, 1])
        #expect(try client.request("GET", "/_sandbox/requests?status=2x").status == 400)
        #expect(try client.request("GET", "/_sandbox/requests?account=one").status == 400)
    }

    @Test func theHistorySurvivesARestartIsEmptiedByAResetAndComesBackWithASnapshot() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            try? FileManager.default.removeItem(atPath: path + ".snapshots")
        }
        do {
            let test = try TestSandbox(providers: [PaytomatProvider()], configureSandbox: { $0.databasePath = path })
            _ = try test.client().request("GET", "/paytomat/api/v1/balance", headers: [basic("sandbox", "sandbox-secret")])
            try test.sandbox.journal.flush()
        }
        let test = try TestSandbox(providers: [PaytomatProvider()], configureSandbox: { $0.databasePath = path })
        let client = try test.client()
        #expect(try entries(client, "account=1").map { $0["route"] } == ["GET /api/v1/balance"])
        #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": "one-call"]).status == 201)
        _ = try client.request("POST", "/_sandbox/reset")
        #expect(try entries(client, "").isEmpty)
        #expect(try client.request("POST", "/_sandbox/snapshots/one-call/restore").status == 200)
        #expect(try entries(client, "account=1").map { $0["route"] } == ["GET /api/v1/balance"])
        // Its rows are blobs: pages of 64 KiB (SQLite's 4 KiB had chained and freed sixteen times the pages).
        #expect(try Database(path: path + "-history").queryOne("PRAGMA page_size")?[0].int == 65_536)
    }

    @Test func aStateThatHeldItsHistoryHandsItOverAtStart() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).sqlite").path
        let files = ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm"].map { path + $0 }
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }
        do {
            let test = try TestSandbox(providers: [PaytomatProvider()], configureSandbox: { $0.databasePath = path })
            _ = try test.client().request("GET", "/paytomat/api/v1/balance", headers: [basic("sandbox", "sandbox-secret")])
            try test.sandbox.journal.flush()
        }
        // As an older version kept it: the history's rows in the state's own table, no history file.
        let history = try Database(path: path + "-history")
        let rows = try history.query("SELECT provider, account, first, last, count, entries FROM journal")
        try #require(rows.count == 1)
        let state = try Database(path: path)
        for row in rows {
            try state.run("INSERT INTO journal (provider, account, first, last, count, entries) VALUES (?, ?, ?, ?, ?, ?)",
                          [row["provider"], row["account"], row["first"], row["last"], row["count"], row["entries"]])
        }
        try history.run("DELETE FROM journal")
        let test = try TestSandbox(providers: [PaytomatProvider()], configureSandbox: { $0.databasePath = path })
        #expect(try entries(test.client(), "account=1").map { $0["route"] } == ["GET /api/v1/balance"])
        #expect(try state.queryOne("SELECT COUNT(*) FROM journal")?[0].int == 0)
    }

    /// Rows of two accounts written in one flush interleave their ids: the newest (oldest) few
    /// are still the newest (oldest) of all, not of the row read first.
    @Test func theNewestAreTheNewestAcrossAccounts() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let journal = test.sandbox.journal
        func request(_ login: String, _ secret: String) -> HTTPRequest {
            var request = HTTPRequest(method: "GET", target: "/paytomat/api/v1/balance")
            request.headers.add("Authorization", "Basic " + Base64.encode(Array("\(login):\(secret)".utf8)))
            request.mountPrefix = "/paytomat"
            return request
        }
        let first = try journal.lastID()
        for login in ["sandbox2", "sandbox", "sandbox", "sandbox", "sandbox2"] {
            journal.record(provider: "paytomat", request: request(login, login + "-secret"), response: .text("ok"),
                           duration: .zero, at: 0)
        }
        var filter = RequestJournal.Filter()
        filter.limit = 2
        #expect(try journal.calls(filter).map(\.id) == [first + 5, first + 4])
        filter.ascending = true
        #expect(try journal.calls(filter).map(\.id) == [first + 1, first + 2])
        filter.limit = 10
        #expect(try journal.calls(filter).map(\.id) == Array(first + 1 ... first + 5))
    }

    /// Each thread records into its own lane; ids come from one counter: requests recorded from
    /// eight threads at once, with flushes between, each have one id, none lost or repeated, and
    /// keep their accounts.
    @Test func requestsRecordedFromManyThreadsAtOnceHaveOneIDEach() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let journal = test.sandbox.journal
        @Sendable func request(_ login: String) -> HTTPRequest {
            var request = HTTPRequest(method: "GET", target: "/paytomat/api/v1/balance")
            request.headers.add("Authorization", "Basic " + Base64.encode(Array("\(login):\(login)-secret".utf8)))
            request.mountPrefix = "/paytomat"
            return request
        }
        let first = try journal.lastID()
        let logins = ["sandbox", "sandbox2"]
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0 ..< 250 {
                journal.record(provider: "paytomat", request: request(logins[(thread + i) % 2]), response: .text("ok"),
                               duration: .zero, at: Int64(i))
                if thread == 0 && i % 50 == 49 { try? journal.flush() }
            }
        }
        var filter = RequestJournal.Filter()
        filter.limit = 5000
        filter.ascending = true
        let calls = try journal.calls(filter)
        #expect(calls.map(\.id) == Array(first + 1 ... first + 2000))
        #expect(calls.filter { $0.account == 1 }.count == 1000)
        #expect(calls.filter { $0.account == 2 }.count == 1000)
        #expect(try journal.lastID() == first + 2000)
        journal.record(provider: "paytomat", request: request("sandbox"), response: .text("ok"), duration: .zero, at: 0)
        #expect(try journal.lastID() == first + 2001)
    }

    /// A call repeated with the same target and no credentials header is attributed again while
    /// it names no account: here a login that did not exist yet when it was first tried.
    @Test func aRepeatedCallThatNamedNoAccountIsAttributedOnceItDoes() throws {
        let test = try TestSandbox(providers: [AlphacommProvider(), PaytomatProvider()])
        let client = try test.client()
        let token = "/alphacomm/oauth/v2/token?grant_type=client_credentials&client_id=late&client_secret=late-secret"
        #expect(try client.request("GET", token).status == 401)
        let made = try client.request("POST", "/_sandbox/accounts",
                                      json: ["provider": "alphacomm", "login": "late", "secret": "late-secret"])
        let account = try #require(made.json["account"]?.intValue)
        #expect(try client.request("GET", token).status == 200)
        #expect(try client.request("GET", token).status == 200)
        #expect(try entries(client, "provider=alphacomm").map { $0["account"] } == [.int(account), .int(account), .null])

        // The same with an `Authorization` header: one that named no account is asked again.
        let currencies = "/paytomat/api/v1/currencies"
        #expect(try client.request("GET", currencies, headers: [basic("late", "late-secret")]).status == 401)
        let paytomat = try #require(client.request("POST", "/_sandbox/accounts", json: [
            "provider": "paytomat", "login": "late", "secret": "late-secret",
        ]).json["account"]?.intValue)
        #expect(try client.request("GET", currencies, headers: [basic("late", "late-secret")]).status == 200)
        #expect(try client.request("GET", currencies, headers: [basic("late", "late-secret")]).status == 200)
        #expect(try entries(client, "provider=paytomat").map { $0["account"] } == [.int(paytomat), .int(paytomat), .null])
    }

    @Test func anAccountKeepsItsNewestTenThousand() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let journal = test.sandbox.journal
        var request = HTTPRequest(method: "GET", target: "/paytomat/api/v1/balance")
        request.headers.add("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
        request.mountPrefix = "/paytomat"
        let other = HTTPRequest(method: "GET", target: "/paytomat/api/v1/currencies")
        // Eleven flushes of 1,000: the store keeps whole flushes, the newest 10,000 at least.
        for i in 0 ..< 11_000 {
            journal.record(provider: "paytomat", request: i == 0 ? other : request, response: .text("ok"),
                           duration: .zero, at: 0)
            if i % 1000 == 999 { try journal.flush() }
        }
        var filter = RequestJournal.Filter()
        filter.account = 1
        filter.limit = 20_000
        let kept = try journal.calls(filter)
        #expect(kept.count == 10_000, "ten flushes of 1,000 hold 10,000; the eleventh-oldest went")
        #expect(kept.first?.id == 11_000, "the newest stay")
        #expect(kept.last?.id == 1_001)
        filter.account = nil
        filter.route = nil
        #expect(try journal.calls(filter).contains { $0.id == 1 && $0.account == nil }, "no account, not trimmed")
    }
}
