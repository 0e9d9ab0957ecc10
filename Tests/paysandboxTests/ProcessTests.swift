import Foundation
import Testing
import HTTPServer
import SandboxCore
import TestSupport
import ProjectCX

/// The built `paysandbox` binary, started as a user would.
final class SandboxProcess {
    private(set) var process = Process()
    private(set) var port: Int
    private(set) var output = Pipe()

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("paysandbox")
    }

    init(database: String, extra: [String] = []) throws {
        port = refusedPort()
        // A free port found here can be taken by another test's server before this process
        // binds it (the tests run in parallel): a process that ends at once for that is
        // started again on another.
        for attempt in 1 ... 3 {
            process.executableURL = SandboxProcess.binary
            process.arguments = ["--port", String(port), "--host", "127.0.0.1", "--db", database, "--no-provider-ports", "--log-level", "warning"] + extra
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // Generous: a loaded machine starts a process slowly; a started one answers at once.
            let port = port, process = process
            if waitUntil(seconds: 30, { !process.isRunning || (try? TestClient(port: port).request("GET", "/_sandbox/health"))?.status == 200 }),
               process.isRunning {
                return
            }
            process.waitUntilExit()
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard attempt < 3, said.contains("Address already in use") else {
                throw TestClientError("paysandbox did not answer on port \(port): \(said)")
            }
            self.port = refusedPort()
            self.process = Process()
            self.output = Pipe()
        }
        throw TestClientError("paysandbox did not start")
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// A Project CX bearer token of account 1.
    func projectCXToken() throws -> String { try client().projectCXToken() }

    /// Stops it (SIGTERM) and answers what it printed (the banner, warnings), with its exit status.
    func stopAndReadOutput() -> (status: Int32, output: String) {
        let status = terminate()
        return (status, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// The exit status of the binary started with `arguments` that refuse to start it.
    static func exitStatus(_ arguments: [String]) throws -> Int32 { try refusal(arguments).status }

    /// The exit status and what it printed, started with `arguments` that refuse to start it.
    static func refusal(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let error = Pipe()
        process.standardError = error
        try process.run()
        let output = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill9() } }
}

private func temporaryDatabase() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("paysandbox-\(UUID().uuidString).sqlite").path
}

private func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm", "-history", "-history-wal", "-history-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

@Suite(.serialized) struct ProcessTests {
    @Test func aCallbackScheduledBeforeAKillIsSentAfterTheRestart() throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database) }
        let receiver = try Receiver()
        var orderId = ""
        do {
            let sandbox = try SandboxProcess(database: database)
            let client = try sandbox.client()
            let token = try sandbox.projectCXToken()
            let created = try client.request("POST", "/projectcx/rest2/payment/create",
                                             headers: [("Authorization", "Bearer \(token)"), ("X-PaySandbox-Outcome", "success; after=1")],
                                             json: ["amount": 2500, "callback": .string(receiver.url)])
            orderId = try #require(created.json["orderId"]?.stringValue)
            sandbox.kill9()
        }
        #expect(receiver.received.isEmpty)
        let restarted = try SandboxProcess(database: database)
        let callback = try #require(receiver.wait(for: 1, seconds: 10).first)
        #expect(callback.json["status"] == "Success")
        let payment = try restarted.client().request("GET", "/_sandbox/payments/projectcx/\(orderId)").json
        #expect(payment["status"] == "success")
        #expect(payment["amount"] == "25.00")
        #expect(restarted.terminate() == 0)
    }

    @Test func anAcknowledgedPaymentSurvivesAKill() throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database) }
        var ids: [String] = []
        do {
            let sandbox = try SandboxProcess(database: database)
            let client = try sandbox.client()
            let token = try sandbox.projectCXToken()
            for i in 1 ... 20 {
                let created = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                                 json: ["amount": .int(i * 100), "callback": "http://127.0.0.1:9/cb"])
                ids.append(try #require(created.json["orderId"]?.stringValue))
            }
            sandbox.kill9()
        }
        let restarted = try SandboxProcess(database: database)
        let listed = try restarted.client().request("GET", "/_sandbox/payments?provider=projectcx&limit=100").json["payments"]?.arrayValue ?? []
        #expect(Set(listed.compactMap { $0["id"]?.stringValue }) == Set(ids))
        _ = restarted.terminate()
    }

    @Test func startTimeAndSeedMakeRunsByteIdentical() throws {
        func run() throws -> [String] {
            let database = temporaryDatabase()
            defer { removeDatabase(database) }
            let sandbox = try SandboxProcess(database: database, extra: ["--start-time", "2026-01-01T09:00:00Z", "--seed", "42"])
            let client = try sandbox.client()
            var bodies: [String] = []
            let login = try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"])
            bodies.append(login.text)
            let token = login.json["auth_token"]?.stringValue ?? ""
            let created = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                             json: ["amount": 4200, "callback": "http://127.0.0.1:9/cb"])
            bodies.append(created.text)
            let id = created.json["orderId"]?.stringValue ?? ""
            bodies.append(try client.advance(90).text)
            bodies.append(try client.request("POST", "/_sandbox/payments/projectcx/\(id)/outcome", json: ["outcome": "success"]).text)
            bodies.append(try client.request("GET", "/_sandbox/payments").text)
            bodies.append(try client.request("GET", "/_sandbox/clock").text)
            _ = sandbox.terminate()
            return bodies
        }
        let first = try run()
        let second = try run()
        #expect(first == second)
        #expect(first[0].contains("\"auth_token\""))
        #expect(first[4].contains("2026-01-01T09:00:00.000Z"))
        #expect(first[4].contains("2026-01-01T09:01:30.000Z"))
    }

    /// `--no-provider-ports` turns off the default dedicated ports only: a port given with
    /// `--listen` is opened, and the banner says so.
    @Test func anExplicitListenOpensItsPortDespiteNoProviderPorts() throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database) }
        let censusPort = refusedPort()
        let sandbox = try SandboxProcess(database: database, extra: ["--listen", "census=\(censusPort)"])
        let census = try TestClient(port: censusPort)
        #expect(try census.request("GET", "/api/v1/payments/payment_methods/1").status == 200)
        let (status, banner) = sandbox.stopAndReadOutput()
        #expect(status == 0)
        let censusLine = banner.split(separator: "\n").first { $0.contains("/census/") } ?? ""
        #expect(censusLine.contains("and http://127.0.0.1:\(censusPort)/"), "\(banner)")
        let projectcxLine = banner.split(separator: "\n").first { $0.contains("/projectcx/") } ?? ""
        #expect(!projectcxLine.contains(" and "), "\(banner)")
    }

    /// Listening beyond loopback without a token, the sandbox makes one, prints it in the
    /// banner and requires it; `--admin-token off` opens it with a warning; a token given is
    /// required on loopback too.
    @Test func exposedMeansLocked() throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database) }
        do {
            let sandbox = try SandboxProcess(database: database, extra: ["--host", "0.0.0.0"])
            let client = try sandbox.client()
            #expect(try client.request("GET", "/_sandbox/payments").status == 401)
            #expect(try client.request("POST", "/projectcx/rest2/login", json: ["username": "sandbox", "password": "sandbox-secret"]).status == 200)
            let (status, banner) = sandbox.stopAndReadOutput()
            #expect(status == 0)
            let line = banner.split(separator: "\n").first { $0.contains("admin token") } ?? ""
            let token = String(line.split(separator: " ").last ?? "")
            #expect(token.count >= 30, "\(banner)")
            let again = try SandboxProcess(database: database, extra: ["--host", "0.0.0.0", "--admin-token", token])
            #expect(try again.client().request("GET", "/_sandbox/payments", headers: [("Authorization", "Bearer \(token)")]).status == 200)
            _ = again.terminate()
        }
        do {
            let sandbox = try SandboxProcess(database: database, extra: ["--host", "0.0.0.0", "--admin-token", "off"])
            #expect(try sandbox.client().request("GET", "/_sandbox/payments").status == 200)
            let (status, banner) = sandbox.stopAndReadOutput()
            #expect(status == 0)
            #expect(banner.contains("admin token     OFF"), "\(banner)")
            #expect(banner.contains("no admin token (--admin-token off)"), "\(banner)")
        }
        do {
            let sandbox = try SandboxProcess(database: database, extra: ["--admin-token", "local-secret"])
            let client = try sandbox.client()
            #expect(try client.request("GET", "/_sandbox/payments").status == 401)
            #expect(try client.request("GET", "/_sandbox/payments", headers: [("Authorization", "Bearer local-secret")]).status == 200)
            _ = sandbox.terminate()
        }
        for bad in ["", "with space"] {
            #expect(try SandboxProcess.exitStatus(["--db", ":memory:", "--admin-token", bad]) != 0, "\(bad)")
        }
    }

    /// With `--seed`, a fault rule given no seed of its own fires on the same requests in
    /// every run.
    @Test func seededRunsFireTheSameFaults() throws {
        func run() throws -> [Int] {
            let database = temporaryDatabase()
            defer { removeDatabase(database) }
            let sandbox = try SandboxProcess(database: database, extra: ["--seed", "42"])
            let client = try sandbox.client()
            let rule = try client.request("POST", "/_sandbox/faults", json: ["provider": "census", "fault": "error", "status": 500,
                                                                          "probability": .number("0.5")])
            #expect(rule.status == 201)
            let statuses = try (0 ..< 24).map { _ in try client.request("GET", "/census/api/v1/payments/payment_methods/1").status }
            _ = sandbox.terminate()
            return statuses
        }
        let first = try run()
        #expect(try run() == first)
        #expect(first.contains(500) && first.contains(200))
    }

    /// A snapshot downloaded from one sandbox starts another (`--restore`); a database that
    /// was restored into opens again after a restart (still in WAL mode, its state kept).
    @Test func aDownloadedSnapshotStartsAnotherSandbox() throws {
        let first = temporaryDatabase(), second = temporaryDatabase()
        let file = temporaryDatabase()
        defer {
            for path in [first, second] { removeDatabase(path); try? FileManager.default.removeItem(atPath: path + ".snapshots") }
            try? FileManager.default.removeItem(atPath: file)
        }
        var id = ""
        do {
            let sandbox = try SandboxProcess(database: first)
            let client = try sandbox.client()
            let token = try sandbox.projectCXToken()
            id = try #require(try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                                 json: ["amount": 777, "callback": "http://127.0.0.1:9/cb"]).json["orderId"]?.stringValue)
            #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": "one"]).status == 201)
            _ = try client.request("POST", "/_sandbox/reset")
            #expect(try client.request("POST", "/_sandbox/snapshots/one/restore").status == 200)
            let download = try client.request("GET", "/_sandbox/snapshots/one/file")
            try Data(download.body).write(to: URL(fileURLWithPath: file))
            #expect(sandbox.terminate() == 0)
        }
        let reopened = try SandboxProcess(database: first)
        #expect(try reopened.client().request("GET", "/_sandbox/payments/projectcx/\(id)").json["amount"] == "7.77")
        _ = reopened.terminate()
        let restored = try SandboxProcess(database: second, extra: ["--restore", file])
        #expect(try restored.client().request("GET", "/_sandbox/payments/projectcx/\(id)").json["amount"] == "7.77")
        _ = restored.terminate()
        #expect(try SandboxProcess.exitStatus(["--db", ":memory:", "--restore", "/nonexistent/file.sqlite"]) != 0)
    }

    @Test func sigtermStopsCleanlyAndBadFlagsAreRefused() throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database) }
        let sandbox = try SandboxProcess(database: database)
        #expect(sandbox.terminate() == 0)
        #expect(try SandboxProcess.exitStatus(["--start-time", "yesterday", "--db", ":memory:"]) != 0)
    }

    @Test func scheduledResetsComeBackToTheFixtures() throws {
        let database = temporaryDatabase()
        let file = temporaryDatabase() + ".json"
        defer { removeDatabase(database); try? FileManager.default.removeItem(atPath: file) }
        let fixtures: JSON = ["accounts": [["provider": "paytomat", "username": "demo", "password": "demo-pass"]]]
        try Data(fixtures.serialized().utf8).write(to: URL(fileURLWithPath: file))
        let sandbox = try SandboxProcess(database: database, extra: ["--fixtures", file, "--reset-every", "2s"])
        let client = try sandbox.client()
        let health = try client.request("GET", "/_sandbox/health").json
        #expect(health["reset_every_seconds"] == 2)
        #expect(health["reset_to"] == "fixtures")
        let next = try #require(health["next_reset"]?.stringValue.flatMap(Timestamp.parseISO8601))
        #expect(abs(next - SandboxClock.systemMilliseconds()) < 2500)
        #expect(try client.request("POST", "/_sandbox/accounts", json: ["provider": "paytomat"]).json["account"] == 4)
        try waitUntil(seconds: 6) { try client.request("GET", "/_sandbox/accounts/paytomat/4").status != 200 }
        #expect(try client.request("GET", "/_sandbox/accounts/paytomat/4").status == 404)
        #expect(try client.request("GET", "/_sandbox/accounts/paytomat/3").json["username"] == "demo")
        let (_, banner) = sandbox.stopAndReadOutput()
        #expect(banner.contains("resets          every 2 s to the fixtures; next at 20"), "\(banner)")
        #expect(banner.contains("account 3: Basic demo:demo-pass"), "\(banner)")
        #expect(banner.contains("scheduled reset: done"), "\(banner)")
        // Wrong flags and files stop the start and say why.
        for (arguments, says) in [
            (["--reset-every", "daily"], "--reset-every takes a duration"),
            (["--reset-every", "1h", "--reset-to", "nope"], "no snapshot 'nope'"),
            (["--reset-to", "nope"], "--reset-to needs --reset-every"),
            (["--fixtures-only"], "--fixtures-only needs --fixtures"),
            (["--fixtures", "/nonexistent.json"], "/nonexistent.json: cannot be read"),
        ] {
            let (status, output) = try SandboxProcess.refusal(["--db", ":memory:"] + arguments)
            #expect(status != 0)
            #expect(output.contains(says), "\(output)")
        }
        try Data(#"{"accounts": [{"provider": "paytomat"}, {"provider": "paytomat", "password": 1}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let (status, output) = try SandboxProcess.refusal(["--db", database, "--fixtures", file])
        #expect(status != 0)
        #expect(output.contains("\(file): accounts[1].password: must be a string"), "\(output)")
    }

    /// A kill -9 at any moment of a snapshot or a restore leaves the old state or the new one,
    /// never a mix, and the sandbox starts again.
    @Test(arguments: ["snapshot", "restore"])
    func aKillDuringASnapshotOrARestoreLeavesOneStateOrTheOther(step: String) throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database); try? FileManager.default.removeItem(atPath: database + ".snapshots") }
        func create(_ client: TestClient, _ token: String, _ count: Int) throws {
            for i in 1 ... count {
                _ = try client.request(
                    "POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                    json: ["amount": .int(i), "callback": "http://127.0.0.1:9/cb"])
            }
        }
        func count(_ client: TestClient) throws -> Int {
            try client.request("GET", "/_sandbox/payments?provider=projectcx&limit=1000").json["payments"]?.arrayValue?.count
                ?? -1
        }
        do {
            let sandbox = try SandboxProcess(database: database)
            let client = try sandbox.client()
            let token = try sandbox.projectCXToken()
            try create(client, token, 200)
            #expect(try client.request("POST", "/_sandbox/snapshots", json: ["name": "two-hundred"]).status == 201)
            try create(client, token, 100)
            _ = sandbox.terminate()
        }
        for round in 0 ..< 6 {
            let sandbox = try SandboxProcess(database: database)
            let client = try sandbox.client()
            let before = try count(client)
            #expect([200, 300].contains(before))
            let name = "round-\(round)"
            let target = step == "snapshot" ? "/_sandbox/snapshots" : "/_sandbox/snapshots/two-hundred/restore"
            let body: JSON = step == "snapshot" ? ["name": .string(name)] : [:]
            let request = "POST \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.serialized().utf8.count)\r\n\r\n\(body.serialized())"
            try client.send(request)
            usleep(UInt32(round * 1500))
            sandbox.kill9()
            let restarted = try SandboxProcess(database: database)
            let after = try restarted.client()
            let payments = try count(after)
            if step == "restore" {
                // One state or the other, never a mix: the restored 200 or the 300 before.
                #expect([200, before].contains(payments), "\(payments)")
            } else if try after.request("GET", "/_sandbox/snapshots/\(name)/file").status == 200 {
                // A snapshot that is listed is whole: it restores, to the state it was taken in.
                #expect(try after.request("POST", "/_sandbox/snapshots/\(name)/restore").status == 200)
                #expect(try count(after) == before)
            }
            let check = try after.request("GET", "/_sandbox/health")
            #expect(check.status == 200)
            if step == "restore" && payments == 200 {
                // Back to 300 for the next round.
                let token = try restarted.projectCXToken()
                try create(after, token, 100)
            }
            _ = restarted.terminate()
        }
    }
}
