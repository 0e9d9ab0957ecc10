import Dispatch
import Synchronization
import Testing
import HTTPServer
import SQLiteStore
import TestSupport
@testable import SandboxCore

/// A minimal provider for testing the core: Basic auth against its accounts and one table.
struct DemoProvider: Provider {
    enum Failure: ProviderError {
        case invalid(String), notFound(String), methodNotAllowed(String), status(Int, String)

        var response: HTTPResponse {
            switch self {
            case .invalid(let m): .json(["error": .string(m)], status: 400)
            case .notFound(let m): .json(["error": .string(m)], status: 404)
            case .methodNotAllowed(let m): .json(["error": .string(m)], status: 405)
            case .status(let status, let m): .json(["error": .string(m)], status: status)
            }
        }
    }

    var key: String { "demo" }
    var displayName: String { "Demo" }
    var defaultPort: Int { 0 }
    var migrations: [Migration] { [Migration("demo-001", "CREATE TABLE demo_items (account INTEGER NOT NULL, name TEXT NOT NULL)")] }
    var defaultAccounts: [AccountSeed] { [AccountSeed(login: "a", secret: "a-secret"), AccountSeed(login: "b", secret: "b-secret")] }
    var defaultSettle: SettleSettings { SettleSettings(.manual) }
    var createRoute: String { "POST /items" }
    func describe(_ account: AccountSeed) -> String { "\(account.login):\(account.secret)" }

    func complete(payment id: String, with outcome: Outcome, _ db: Database, _ context: ProviderContext) throws {
        throw CompletionError.notFound
    }

    func routes(_ context: ProviderContext) -> Router {
        var router = Router()
        router.post("/items") { request in
            guard let (user, password) = request.basicCredentials,
                  let account = try context.authenticate(login: user, secret: password)
            else { return .json(["error": "unauthorized"], status: 401) }
            try await context.store.write { db in try db.run("INSERT INTO demo_items VALUES (?, ?)", [account.id, request.bodyString]) }
            let count = try context.store.read { db in
                try db.queryOne("SELECT COUNT(*) FROM demo_items WHERE account = ?", [account.id])?[0].int ?? 0
            }
            return .json(["account": .int(account.id), "items": .int(count), "mount": .string(request.mountURL)])
        }
        // A GET declared read-only (synchronous) that writes anyway, and one declared as
        // writing (async): only the second may.
        let insert: @Sendable (Database) throws -> Void = { db in _ = try db.run("INSERT INTO demo_items VALUES (1, 'from a GET')") }
        router.get("/sneaky") { _ in
            try context.store.write(insert)
            return .json(["written": true])
        }
        router.get("/declared") { _ in
            try await context.store.write(insert)
            return .json(["written": true])
        }
        return router
    }
}

@Suite struct SandboxTests {
    @Test func healthReportsTheStore() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let response = try test.client().request("GET", "/_sandbox/health")
        #expect(response.status == 200)
        #expect(response["Content-Type"] == "application/json; charset=utf-8")
        #expect(response.json["status"] == "ok")
        #expect(response.json["accounts"] == 2)
        #expect(response.json["providers"] == ["demo"])
        #expect(response.json["database"] == ":memory:")
    }

    @Test func providersAreMountedUnderTheirKeyAndAccountsAreSeparate() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let client = try test.client()
        let first = try client.request("POST", "/demo/items", headers: [basic("a", "a-secret")], body: Array("x".utf8))
        #expect(first.status == 200)
        #expect(first.json["account"] == 1)
        #expect(first.json["items"] == 1)
        #expect(first.json["mount"] == "http://localhost/demo")
        let other = try client.request("POST", "/demo/items", headers: [basic("b", "b-secret")], body: Array("y".utf8))
        #expect(other.json["account"] == 2)
        #expect(other.json["items"] == 1)
        #expect(try client.request("POST", "/demo/items", headers: [basic("a", "wrong")]).status == 401)
        #expect(try client.request("POST", "/demo/items", headers: [basic("nobody", "a-secret")]).status == 401)
    }

    /// GET routes run on the event loop: one declared read-only that writes is refused (a
    /// blocking commit there would stall every connection of the loop) and writes nothing;
    /// one declared as writing awaits its commit.
    @Test func aRouteDeclaredReadOnlyCannotWrite() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let client = try test.client()
        func items() throws -> Int {
            try test.sandbox.store.read { db in try db.queryOne("SELECT COUNT(*) FROM demo_items")?[0].int ?? -1 }
        }
        let refused = try client.request("GET", "/demo/sneaky")
        #expect(refused.status == 500)
        #expect(try items() == 0)
        let declared = try client.request("GET", "/demo/declared")
        #expect(declared.status == 200)
        #expect(try items() == 1)
        // Off the event loop (a worker, the scheduler, a test) a blocking write is fine.
        try test.sandbox.store.write { db in _ = try db.run("INSERT INTO demo_items VALUES (2, 'x')") }
        #expect(try items() == 2)
    }

    /// A `reorder` fault sends a payment's deliveries that fall due together newest first;
    /// without it they go in order.
    @Test(arguments: [true, false])
    func reorderedDeliveriesDueTogetherGoNewestFirst(reorder: Bool) throws {
        let receiver = try Receiver()
        let test = try TestSandbox(providers: [DemoProvider()])
        let client = try test.client()
        if reorder {
            let rule = try client.request("POST", "/_sandbox/faults", json: ["provider": "demo", "route": "deliveries", "fault": "reorder"])
            #expect(rule.status == 201, "\(rule.text)")
        }
        let context = test.sandbox.context
        // One time for all three: read per delivery, a millisecond passing between two of them
        // would make the first due alone (sent first) and only the others due together.
        let now = context.clock.nowMilliseconds()
        try test.sandbox.store.write { db in
            for n in 1 ... 3 {
                try Outbox.enqueue(db, NewDelivery(provider: "demo", account: 1, payment: "p1", kind: "callback", url: receiver.url + "/\(n)",
                                                   body: Array("{\"n\":\(n)}".utf8)), now: now)
            }
        }
        context.wake()
        #expect(receiver.wait(for: 3).map(\.path) == (reorder ? ["/cb/3", "/cb/2", "/cb/1"] : ["/cb/1", "/cb/2", "/cb/3"]))
        let faults = try client.request("GET", "/_sandbox/deliveries?payment=p1").json["deliveries"]?.arrayValue?.map { $0["fault"]?["kind"] }
        #expect(faults == Array(repeating: reorder ? .string("reorder") : nil, count: 3))
    }

    @Test func resetWipesStateAndReseeds() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let client = try test.client()
        try client.request("POST", "/demo/items", headers: [basic("a", "a-secret")], body: Array("x".utf8))
        try client.request("POST", "/demo/items", headers: [basic("a", "a-secret")], body: Array("x".utf8))
        let reset = try client.request("POST", "/_sandbox/reset")
        #expect(reset.status == 200)
        #expect(reset.json["status"] == "reset")
        let after = try client.request("POST", "/demo/items", headers: [basic("a", "a-secret")], body: Array("x".utf8))
        #expect(after.json["items"] == 1)
        #expect(try client.request("GET", "/_sandbox/health").json["accounts"] == 2)
    }

    /// Accounts are cached in memory (every authenticated request looks one up): a created
    /// account is usable at once, a settings change is seen by the next request, and after a
    /// reset an account made before it is gone, however often it was used.
    @Test func theAccountCacheFollowsCreationSettingsAndReset() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let client = try test.client()
        let created = try client.request("POST", "/_sandbox/accounts", json: ["provider": "demo"])
        #expect(created.status == 201)
        let login = try #require(created.json["login"]?.stringValue), secret = try #require(created.json["secret"]?.stringValue)
        for _ in 0 ..< 3 {
            #expect(try client.request("POST", "/demo/items", headers: [basic(login, secret)]).json["account"] == 3)
        }
        #expect(try client.request("GET", "/_sandbox/accounts/demo/3").json["settle"]?["mode"] == "manual")
        let patched = try client.request("PATCH", "/_sandbox/accounts/demo/3", json: ["settle": ["mode": "delay", "seconds": 30]])
        #expect(patched.status == 200)
        #expect(patched.json["settle"] == ["mode": "delay", "seconds": 30])
        #expect(try client.request("GET", "/_sandbox/accounts/demo/3").json["settle"] == ["mode": "delay", "seconds": 30])
        #expect(try test.sandbox.context.accounts.settle(provider: "demo", account: 3)?.seconds == 30)
        #expect(try client.request("POST", "/_sandbox/reset").status == 200)
        #expect(try client.request("POST", "/demo/items", headers: [basic(login, secret)]).status == 401)
        #expect(try client.request("GET", "/_sandbox/accounts/demo/3").status == 404)
        #expect(try client.request("POST", "/demo/items", headers: [basic("a", "a-secret")]).json["account"] == 1)
    }

    /// Settings PATCHes that arrive together each land: the merge happens in the write's
    /// transaction (it had read the settings before it, so concurrent PATCHes lost updates).
    @Test func concurrentSettingsPatchesAllLand() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            do {
                let status = try test.client().request("PATCH", "/_sandbox/accounts/demo/1", json: ["k\(i)": .int(i)]).status
                if status != 200 { failures.add(1, ordering: .relaxed) }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let settings = try test.client().request("GET", "/_sandbox/accounts/demo/1").json["settings"]
        for i in 0 ..< 16 { #expect(settings?["k\(i)"] == .int(i)) }
    }

    @Test func unknownPathsAndMethodsAnswerJSON() throws {
        let test = try TestSandbox(providers: [DemoProvider()])
        let client = try test.client()
        let missing = try client.request("GET", "/nowhere")
        #expect(missing.status == 404)
        #expect(missing.json["error"]?.stringValue?.contains("/nowhere") == true)
        let wrongMethod = try client.request("DELETE", "/_sandbox/health")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod["Allow"] == "GET, HEAD, OPTIONS")
    }

    @Test func aFileDatabaseKeepsAccountsAcrossRestartsAndIsSeededOnce() throws {
        let path = "/tmp/paysandbox-core-\(UInt64.random(in: 0 ... .max)).sqlite"
        defer { for suffix in ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm"] { _ = unlinkFile(path + suffix) } }
        do {
            let sandbox = try Sandbox(databasePath: path, providers: [DemoProvider()])
            try sandbox.store.write { db in try db.run("INSERT INTO demo_items VALUES (1, 'kept')") }
        }
        let reopened = try Sandbox(databasePath: path, providers: [DemoProvider()])
        #expect(try reopened.store.read { db in try db.queryOne("SELECT COUNT(*) FROM accounts")?[0].int } == 2)
        #expect(try reopened.store.read { db in try db.queryOne("SELECT name FROM demo_items")?[0].string } == "kept")
    }

    @Test func providersAlsoServeTheirDocumentedPathsOnTheirOwnPort() throws {
        let sandbox = try Sandbox(databasePath: ":memory:", providers: [DemoProvider()], logger: Logger(level: .error))
        var listen = ListenConfiguration()
        listen.host = "127.0.0.1"
        listen.port = 0
        listen.providerPorts = ["demo": 0]
        let server = try SandboxServer(sandbox: sandbox, listen: listen, server: ServerConfiguration())
        defer { server.stop(timeout: 1) }
        let own = try #require(server.providerPorts["demo"])
        let response = try TestClient(port: own).request("POST", "/items", headers: [basic("a", "a-secret")], body: Array("x".utf8))
        #expect(response.status == 200)
        #expect(response.json["mount"] == "http://localhost")
        #expect(try TestClient(port: own).request("GET", "/_sandbox/health").status == 404)
    }

    @Test func aTakenProviderPortIsAWarningNotAFailedStart() throws {
        let sandbox = try Sandbox(databasePath: ":memory:", providers: [DemoProvider()], logger: Logger(level: .error))
        var quiet = ServerConfiguration()
        quiet.logger = Logger(level: .error)
        var first = ListenConfiguration()
        first.host = "127.0.0.1"
        first.port = 0
        first.providerPorts = ["demo": 0]
        let holder = try SandboxServer(sandbox: sandbox, listen: first, server: quiet)
        defer { holder.stop(timeout: 1) }
        var second = first
        second.providerPorts = ["demo": try #require(holder.providerPorts["demo"])]
        let server = try SandboxServer(sandbox: sandbox, listen: second, server: quiet)
        defer { server.stop(timeout: 1) }
        #expect(server.providerPorts["demo"] == nil)
        #expect(try TestClient(port: server.port).request("GET", "/_sandbox/health").status == 200)
    }

    @Test func timestampsAreISO8601WithMilliseconds() {
        #expect(Timestamp.iso8601(milliseconds: 1_595_895_302_868) == "2020-07-28T00:15:02.868Z")
        #expect(Timestamp.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
    }
}

#if canImport(Glibc)
import Glibc
func unlinkFile(_ path: String) -> Int32 { unlink(path) }
#endif

@Suite struct WakeupTests {
    /// Regression: the stored closure used to grow by two reabstraction thunks per call,
    /// until a Census order (each one wakes the scheduler) overflowed a thread's stack.
    @Test func firingManyTimesCallsTheSameClosureWithoutGrowingIt() {
        let wakeup = Wakeup()
        let count = Mutex(0)
        wakeup.set { count.withLock { $0 += 1 } }
        for _ in 0 ..< 200_000 { wakeup.fire() }
        #expect(count.withLock { $0 } == 200_000)
    }
}

@Suite struct DeliverySenderTests {
    /// Regression: a scheduler tick that raced `stop()` asked the invalidated URLSession for a
    /// task, and URLSession traps on that ("Session invalidated"): the test process crashed in
    /// a fresh-clone CI run. Now nothing is sent and the delivery stays pending.
    @Test func afterInvalidationNothingIsSentAndNothingTraps() {
        let sender = DeliverySender(policy: DeliveryPolicy())
        let row = DeliveryRow(id: 1, provider: "p", payment: "1", url: "http://127.0.0.1:9/cb", contentType: "application/json",
                              body: Array("{}".utf8), attempts: 0, replays: 0)
        sender.invalidate()
        let reported = Mutex(false)
        #expect(sender.send(row) { _ in reported.withLock { $0 = true } } == false)
        #expect(reported.withLock { $0 } == false)
        // Also after a session was made and used.
        let used = DeliverySender(policy: DeliveryPolicy())
        _ = used.send(row) { _ in }
        used.invalidate()
        #expect(used.send(row) { _ in } == false)
    }
}

@Suite struct IDGeneratorTests {
    /// Stored ids that key an index (Project CX's orderId, PayXToday's uuid_payment) lead with
    /// the creation time, so that they sort in the order they were made; the rest is random.
    @Test func orderedIDsSortByTimeAndKeepTheirFormat() {
        let ids = IDGenerator()
        let made = (0 ..< 50).map { ids.uuid(milliseconds: 1_790_000_000_000 + Int64($0)) }
        #expect(made == made.sorted())
        #expect(Set(made).count == 50)
        for id in made {
            let groups = id.split(separator: "-").map(\.count)
            #expect(groups == [8, 4, 4, 4, 12])
            #expect(Array(id)[14] == "7")
            #expect("89ab".contains(Array(id)[19]))
            #expect(id.allSatisfy { $0.isHexDigit || $0 == "-" } && id == id.lowercased())
        }
        #expect(made[0].hasPrefix("01a0c450-6c00-7"))  // 1,790,000,000,000 ms = 0x01A0C4506C00
        let hex = (0 ..< 50).map { ids.orderedHex(20, milliseconds: 1_790_000_000_000 + Int64($0)) }
        #expect(hex == hex.sorted())
        #expect(hex.allSatisfy { $0.count == 40 && $0.hasPrefix("01a0c4506c") })
        #expect(Set(hex.map { $0.dropFirst(12) }).count == 50)
    }
}
