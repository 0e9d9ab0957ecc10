import Foundation
import Synchronization
import Testing
import HTTPServer
import SQLiteStore
@testable import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// Named snapshots of the whole state: taken while requests go on, restored in one step
/// (caches, fault rules, the clock and what is due follow), downloaded and uploaded.
@Suite struct SnapshotTests {
    static let all: [any Provider] = [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()]

    private func create(_ client: TestClient, _ token: String, amount: Int = 100, callback: String = "http://127.0.0.1:9/cb",
                        headers: [(String, String)] = []) throws -> String {
        let r = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")] + headers,
                                   json: ["amount": .int(amount), "callback": .string(callback)])
        return try #require(r.json["orderId"]?.stringValue)
    }

    private func ids(_ client: TestClient) throws -> Set<String> {
        Set((try client.request("GET", "/_sandbox/payments?limit=1000").json["payments"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
    }

    @Test(arguments: [false, true])
    func aRestoreIsExactlyTheSnapshotsState(onDisk: Bool) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paysandbox-snap-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            try? FileManager.default.removeItem(atPath: path + ".snapshots")
        }
        let test = try TestSandbox(providers: Self.all) { if onDisk { $0.databasePath = path } }
        let client = try test.client()
        let before = try client.projectCXToken()
        let kept = try (1 ... 3).map { try create(client, before, amount: $0 * 100) }
        _ = try client.request("POST", "/_sandbox/faults", json: ["provider": "census", "fault": "error", "status": 503])
        let taken = try client.request("POST", "/_sandbox/snapshots", json: ["name": "three-orders"])
        #expect(taken.status == 201, "\(taken.text)")
        #expect(taken.json["name"] == "three-orders")
        #expect((taken.json["size_bytes"]?.intValue ?? 0) > 4096)
        if onDisk { #expect(FileManager.default.fileExists(atPath: path + ".snapshots/three-orders.sqlite")) }
        #expect(try client.request("GET", "/_sandbox/snapshots").json["snapshots"]?.arrayValue?.map { $0["name"] } == ["three-orders"])
        // Everything after it: payments, an account, a token, no fault rules, the clock moved.
        _ = try create(client, before)
        let fresh = try client.request("POST", "/_sandbox/accounts", json: ["provider": "alphacomm"]).json["account"]?.intValue
        let after = try client.projectCXToken()
        _ = try client.request("DELETE", "/_sandbox/faults")
        _ = try client.advance(3600)
        let restored = try client.request("POST", "/_sandbox/snapshots/three-orders/restore")
        #expect(restored.status == 200, "\(restored.text)")
        #expect(try ids(client) == Set(kept))
        #expect(try client.request("GET", "/_sandbox/accounts/alphacomm/\(fresh ?? 0)").status == 404)
        #expect(try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(after)")],
                                   json: ["amount": 1, "callback": "http://127.0.0.1:9/cb"]).status == 401)
        #expect(try client.request("GET", "/census/api/v1/payments/payment_methods/1").status == 503)
        #expect(try client.request("GET", "/_sandbox/clock").json["advanced_seconds"] == .number("0.0"))
        // Restored twice, the same; an unknown name is a 404.
        _ = try create(client, before)
        #expect(try client.request("POST", "/_sandbox/snapshots/three-orders/restore").status == 200)
        #expect(try ids(client) == Set(kept))
        #expect(try client.request("POST", "/_sandbox/snapshots/nope/restore").status == 404)
        #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": "three-orders"]).status == 409)
        #expect(try client.request("DELETE", "/_sandbox/snapshots/three-orders").status == 200)
        #expect(try client.request("GET", "/_sandbox/snapshots").json == ["snapshots": []])
    }

    /// A callback due in the snapshot is sent after the restore, as the clock reaches it.
    @Test func whatIsDueInTheRestoredStateHappens() throws {
        let receiver = try Receiver()
        let test = try TestSandbox(providers: Self.all)
        let client = try test.client()
        let id = try create(client, try client.projectCXToken(), callback: receiver.url, headers: [("X-PaySandbox-Outcome", "success; after=30")])
        #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": "due-in-30"]).status == 201)
        _ = try client.advance(30)
        #expect(receiver.wait(for: 1).count == 1)
        #expect(try client.request("POST", "/_sandbox/snapshots/due-in-30/restore").status == 200)
        #expect(try client.request("GET", "/_sandbox/payments/projectcx/\(id)").json["status"] == "pending")
        _ = try client.advance(30)
        #expect(receiver.wait(for: 2).count == 2)
        #expect(try client.request("GET", "/_sandbox/payments/projectcx/\(id)").json["status"] == "success")
    }

    /// Taken while payments are being created on another connection: each payment in the
    /// snapshot is whole (its order, its uniform row and its timeline together).
    @Test func aSnapshotUnderWriteLoadIsConsistent() throws {
        let test = try TestSandbox(providers: Self.all)
        let client = try test.client()
        let bearer = try client.projectCXToken()
        let load = Load(port: test.port) { c in
            _ = try? c.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(bearer)")],
                               json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"])
        }
        #expect(load.waitFor())
        for n in 0 ..< 5 {
            #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": .string("load-\(n)")]).status == 201)
        }
        load.stop()
        for n in 0 ..< 5 {
            let db = try test.sandbox.checked(try #require(test.sandbox.snapshots.bytes("load-\(n)")))
            let counts = try ["projectcx_orders", "payments", "(SELECT DISTINCT payment FROM payment_events)"].map {
                try db.queryOne("SELECT COUNT(*) FROM \($0)")?[0].int ?? -1
            }
            #expect(counts[0] > 0 && counts[0] == counts[1] && counts[1] == counts[2], "\(counts)")
        }
    }

    @Test func restoresUnderWriteLoadAnswerEveryoneAndLeaveNoHalfPayment() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paysandbox-load-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            try? FileManager.default.removeItem(atPath: path + ".snapshots")
        }
        let test = try TestSandbox(providers: Self.all) { $0.databasePath = path }
        let client = try test.client()
        let bearer = try client.projectCXToken()
        let base = try Set((1 ... 20).map { _ in try create(client, bearer) })
        #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": "base"]).status == 201)
        let statuses = Mutex<[Int: Int]>([:])
        let load = Load(port: test.port, threads: 2) { c in
            let status = (try? c.request("POST", "/projectcx/rest2/payment/create",
                                         headers: [("Authorization", "Bearer \(bearer)")],
                                         json: ["amount": 100, "callback": "http://127.0.0.1:9/cb"]))?.status ?? -1
            statuses.withLock { $0[status, default: 0] += 1 }
        }
        #expect(load.waitFor())
        for _ in 0 ..< 10 {
            #expect(try client.request("POST", "/_sandbox/snapshots/base/restore").status == 200)
            #expect(load.waitFor(), "a create lands between two restores")
        }
        load.stop()
        let answered = statuses.withLock { $0 }
        #expect(Array(answered.keys) == [200], "\(answered)")
        // Every order has its payment and its timeline: nothing of half a create, none lost from the base.
        let counts = try test.sandbox.store.read { db in
            try ["projectcx_orders", "payments", "(SELECT DISTINCT payment FROM payment_events)"].map {
                try db.queryOne("SELECT COUNT(*) FROM \($0)")?[0].int ?? -1
            }
        }
        #expect(counts[0] == counts[1] && counts[1] == counts[2], "\(counts)")
        #expect(try ids(client).isSuperset(of: base))
        #expect(try client.request("POST", "/_sandbox/snapshots/base/restore").status == 200)
        #expect(try ids(client) == base)
    }

    /// `--reset-to ../outside` names no snapshot, even where `<db>.snapshots/../outside.sqlite`
    /// is a file.
    @Test func aScheduledResetNamesASnapshotNotAPath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("paysandbox-path-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/db.sqlite.snapshots", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: dir + "/outside.sqlite", contents: Data("x".utf8)))
        var configuration = SandboxConfiguration(databasePath: dir + "/db.sqlite")
        configuration.logger = Logger(level: .error)
        configuration.resets = ResetSchedule(interval: 3_600_000, snapshot: "../outside")
        #expect(throws: SnapshotError.self) { try Sandbox(configuration: configuration, providers: Self.all) }
    }

    @Test func filesDownloadAndUploadAndBadOnesAreRefused() throws {
        let test = try TestSandbox(providers: Self.all)
        let client = try test.client()
        let kept = try create(client, try client.projectCXToken())
        #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": "one"]).status == 201)
        let file = try client.request("GET", "/_sandbox/snapshots/one/file")
        #expect(file.status == 200)
        #expect(file["Content-Type"] == "application/vnd.sqlite3")
        #expect(Array(file.body.prefix(15)) == Array("SQLite format 3".utf8))
        let uploaded = try client.request("PUT", "/_sandbox/snapshots/copy/file", headers: [("Content-Type", "application/vnd.sqlite3")], body: file.body)
        #expect(uploaded.status == 201, "\(uploaded.text)")
        _ = try client.request("POST", "/_sandbox/reset")
        #expect(try client.request("POST", "/_sandbox/snapshots/copy/restore").status == 200)
        #expect(try ids(client) == [kept])

        // Another SQLite database, one of a future version, and an older one (migrated).
        let other = try Database(path: ":memory:")
        try other.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
        let future = try test.sandbox.checked(file.body)
        try future.execute("INSERT INTO schema_migrations (id) VALUES ('core-999-from-the-future')")
        let older = try test.sandbox.checked(file.body)
        try older.execute("DROP TABLE fault_rules; DELETE FROM schema_migrations WHERE id = 'core-004-fault-rules'")
        let bad: [(String, [UInt8], String)] = [
            ("garbage", Array("hello, I am not a database".utf8), "not a SQLite database"),
            ("truncated", Array(file.body.prefix(file.body.count / 2)), "not a SQLite database"),
            ("empty", [], "not a SQLite database"),
            ("other", try Store.serialize(other), "not a PaySandbox one"),
            ("future", try Store.serialize(future), "newer PaySandbox"),
        ]
        let before = try client.request("GET", "/_sandbox/snapshots").json
        for (name, bytes, says) in bad {
            let r = try client.request("PUT", "/_sandbox/snapshots/\(name)/file", body: bytes)
            #expect(r.status == 400, "\(name)")
            #expect(r.json["error"]?.stringValue?.contains(says) == true, "\(name): \(r.text)")
        }
        #expect(try client.request("GET", "/_sandbox/snapshots").json == before)
        #expect(try client.request("PUT", "/_sandbox/snapshots/older/file", body: try Store.serialize(older)).status == 201)
        #expect(try client.request("POST", "/_sandbox/snapshots/older/restore").status == 200)
        #expect(try client.request("POST", "/_sandbox/faults", json: ["provider": "census", "fault": "reset"]).status == 201)
    }

    @Test(arguments: ["../x", "a/b", ".hidden", "", String(repeating: "n", count: 300), "nul\u{0}byte", "spa ce", "é"])
    func namesAreASafeSubset(name: String) throws {
        let test = try TestSandbox(providers: Self.all)
        let client = try test.client()
        let r = try client.request("POST", "/_sandbox/snapshots", json: ["name": .string(name)])
        #expect(r.status == 400)
        #expect(r.json["error"]?.stringValue?.contains("1 to 64 letters") == true)
        guard !name.isEmpty else { return }  // no such path: "/snapshots//file"
        let encoded = PercentDecoding.encode(name)
        #expect(try client.request("PUT", "/_sandbox/snapshots/\(encoded)/file", body: [1]).status == 400)
        #expect(try client.request("POST", "/_sandbox/snapshots/\(encoded)/restore").status == 404)
    }
}
