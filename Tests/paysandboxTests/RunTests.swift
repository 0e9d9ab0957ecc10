import Foundation
import HTTPServer
import Testing
import TestSupport

/// `paysandbox run -- COMMAND` and `paysandbox report`, started as processes the way a CI job does.
@Suite struct RunTests {
    struct Finished {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs `paysandbox run ARGUMENTS -- sh -c SCRIPT` to its end; the script sees `$BIN`, the binary.
    static func run(_ arguments: [String] = [], script: String, then: ((Process) -> Void)? = nil) throws -> Finished {
        let process = Process()
        process.executableURL = SandboxProcess.binary
        process.arguments = ["run"] + arguments + ["--", "sh", "-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["BIN"] = SandboxProcess.binary.path
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        then?(process)
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
                        errors: String(decoding: err, as: UTF8.self))
    }

    static func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)-\(name)").path
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Whether anything answers on the port of `url` (http://127.0.0.1:PORT).
    static func answers(_ url: String) -> Bool {
        guard let port = url.split(separator: ":").last.flatMap({ Int($0) }) else { return false }
        return (try? TestClient(port: port).request("GET", "/_sandbox/health")) != nil
    }

    @Test func theCommandSeesTheSandboxInItsEnvironment() throws {
        let file = Self.temporaryFile("env.json")
        // The command calls every provider with what it was given, as its client would.
        let script = """
            python3 - <<'EOF'
            import json, os, urllib.request, base64
            env = {k: v for k, v in os.environ.items() if k.startswith("PAYSANDBOX_")}
            def get(url, headers={}):
                try:
                    return urllib.request.urlopen(urllib.request.Request(url, headers=headers)).status
                except urllib.error.HTTPError as e:
                    return e.code
            p = env["PAYSANDBOX_PAYTOMAT_URL"]
            scheme, rest = p.split("://", 1)
            userinfo, hostpath = rest.split("@", 1)
            basic = base64.b64encode(userinfo.encode()).decode()
            calls = {
              "health": get(env["PAYSANDBOX_URL"] + "/_sandbox/health"),
              "paytomat": get(scheme + "://" + hostpath + "/currencies", {"Authorization": "Basic " + basic}),
              "payxtoday": get(env["PAYSANDBOX_PAYXTODAY_URL"] + "options"),
              "census": get(env["PAYSANDBOX_CENSUS_URL"] + "/payments/payment_methods?person_id=1@census"),
            }
            json.dump({"env": env, "calls": calls}, open("\(file)", "w"))
            EOF
            """
        let finished = try Self.run(script: script)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(finished.status == 0, "\(finished.errors)")
        let seen = try JSON.parse(Self.read(file))
        let env = try #require(seen["env"])
        #expect(env["PAYSANDBOX_URL"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
        for name in ["PROJECTCX", "PAYTOMAT", "CENSUS", "PAYXTODAY", "ALPHACOMM"] {
            #expect(env["PAYSANDBOX_\(name)_URL"]?.stringValue != nil, "PAYSANDBOX_\(name)_URL")
        }
        #expect(env["PAYSANDBOX_PROJECTCX_USERNAME"] == "sandbox")
        #expect(env["PAYSANDBOX_PROJECTCX_PASSWORD"] == "sandbox-secret")
        #expect(env["PAYSANDBOX_PAYTOMAT_USERNAME"] == "sandbox")
        #expect(env["PAYSANDBOX_PAYXTODAY_ID_RESELLER"] == "1")
        #expect(env["PAYSANDBOX_PAYXTODAY_SECRET_KEY"] == "sandbox-secret")
        #expect(env["PAYSANDBOX_ALPHACOMM_CLIENT_ID"] == "sandbox")
        #expect(env["PAYSANDBOX_ALPHACOMM_CLIENT_SECRET"] == "sandbox-secret")
        #expect(env["PAYSANDBOX_ADMIN_TOKEN"] == nil)
        #expect(seen["calls"] == ["health": 200, "paytomat": 200, "payxtoday": 200, "census": 200])
        // Each account used has its report printed; the sandbox is gone once run has ended.
        #expect(finished.output.contains("paytomat account 1: ready"))
        #expect(finished.output.contains("payxtoday account 1: ready"))
        #expect(!finished.output.contains("alphacomm account"))
        #expect(!Self.answers(try #require(env["PAYSANDBOX_URL"]?.stringValue)))
    }

    @Test(arguments: [0, 1, 7] as [Int32])
    func theCommandsExitStatusIsRunsOwn(status: Int32) throws {
        #expect(try Self.run(script: "exit \(status)").status == status)
    }

    @Test func aCommandEndedBySignalExitsAsAShellSays() throws {
        #expect(try Self.run(script: "kill -KILL $$").status == 128 + SIGKILL)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalGoesToTheCommandThenTheSandboxStops(signal: Int32) throws {
        let started = Self.temporaryFile("started")
        let caught = Self.temporaryFile("caught")
        defer { for file in [started, caught] { try? FileManager.default.removeItem(atPath: file) } }
        let script = """
            trap 'echo caught > \(caught); exit 3' \(signal == SIGTERM ? "TERM" : "INT")
            echo "$$ $PAYSANDBOX_URL" > \(started)
            while true; do sleep 0.05; done
            """
        let finished = try Self.run(script: script) { process in
            _ = waitUntil(seconds: 30) { !Self.read(started).isEmpty }
            kill(process.processIdentifier, signal)
        }
        #expect(finished.status == 3, "\(finished.errors)")
        #expect(Self.read(caught) == "caught\n")
        let words = Self.read(started).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        try #require(words.count == 2)
        // The command and the sandbox are gone.
        let pid = try #require(Int32(words[0]))
        #expect(kill(pid, 0) == -1)
        #expect(!Self.answers(words[1]))
    }

    @Test func aSandboxThatCannotStartExits2AndRunsNothing() throws {
        let taken = try Receiver()
        let marker = Self.temporaryFile("ran")
        let finished = try Self.run(["--port", String(taken.port), "--host", "127.0.0.1"], script: "touch \(marker)")
        #expect(finished.status == 2)
        #expect(finished.errors.contains("the sandbox cannot start"))
        #expect(finished.errors.contains("Address already in use"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func aCommandThatCannotBeFoundExits127() throws {
        let process = Process()
        process.executableURL = SandboxProcess.binary
        process.arguments = ["run", "--", "paysandbox-no-such-command"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 127)
        #expect(text.contains("cannot run paysandbox-no-such-command"))
    }

    /// A Paytomat create refused for bad input fails the report's requests-valid check.
    static let badCall = """
        curl -s -o /dev/null -u "$PAYSANDBOX_PAYTOMAT_USERNAME:$PAYSANDBOX_PAYTOMAT_PASSWORD" \
          "$PAYSANDBOX_URL/paytomat/api/v1/create_transaction" -d '{"ref":1}'
        """

    @Test func theReportIsWrittenAsJUnitAndCanFailTheRun() throws {
        let junit = Self.temporaryFile("report.xml")
        defer { try? FileManager.default.removeItem(atPath: junit) }
        let lenient = try Self.run(["--report-junit", junit], script: Self.badCall)
        #expect(lenient.status == 0, "\(lenient.errors)")
        #expect(lenient.output.contains("paytomat account 1: NOT READY"))
        #expect(lenient.output.contains("  FAIL  requests-valid: No call is refused for bad input"))
        let xml = Self.read(junit)
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
            + "<testsuite name=\"paysandbox.paytomat.account1\" tests=\"9\" failures=\"1\""))
        #expect(xml.hasSuffix("</testsuite>\n</testsuites>\n"))

        let strict = try Self.run(["--require-ready"], script: Self.badCall)
        #expect(strict.status == 1)
        #expect(strict.errors.contains("--require-ready: a check failed"))
        // A failing command keeps its own status.
        #expect(try Self.run(["--require-ready"], script: Self.badCall + "; exit 7").status == 7)
    }

    @Test func reportPrintsOneAccountAndExits1OnAFailedCheck() throws {
        let file = Self.temporaryFile("report")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let script = """
            "$BIN" report --provider paytomat --account 1 > /dev/null; echo "clean $?" > \(file)
            \(Self.badCall)
            "$BIN" report --provider paytomat --format json > \(file).json; echo "failed $?" >> \(file)
            "$BIN" report --provider paytomat --account 99; echo "unknown $?" >> \(file)
            """
        let finished = try Self.run(script: script)
        defer { try? FileManager.default.removeItem(atPath: file + ".json") }
        #expect(finished.status == 0)
        #expect(Self.read(file) == "clean 0\nfailed 1\nunknown 2\n")
        let report = try JSON.parse(Self.read(file + ".json"))
        #expect(report["provider"] == "paytomat")
        #expect(report["summary"]?["fail"] == 1)
        #expect(finished.errors.contains("no paytomat account '99'"))
    }
}
