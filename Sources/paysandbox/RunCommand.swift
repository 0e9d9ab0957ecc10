import ArgumentParser
import Foundation
import HTTPServer
import SandboxCore
import Witness

/// `paysandbox run [options] -- COMMAND [ARGS…]`: a sandbox around a test suite.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a sandbox, run a command against it, then stop the sandbox.",
        discussion: """
            The sandbox starts with the options given (by default in memory, on ports the system \
            picks, logging warnings only). COMMAND's environment gains:

              PAYSANDBOX_URL                    the main port (control plane at /_sandbox/)
              PAYSANDBOX_ADMIN_TOKEN            the control plane's token, if it has one
              PAYSANDBOX_PROJECTCX_URL          http://127.0.0.1:PORT/rest2
              PAYSANDBOX_PAYTOMAT_URL           http://USER:PASSWORD@127.0.0.1:PORT/api/v1
              PAYSANDBOX_CENSUS_URL             http://127.0.0.1:PORT/api/v1
              PAYSANDBOX_PAYXTODAY_URL          http://127.0.0.1:PORT/api/v1/ID/KEY/
              PAYSANDBOX_ALPHACOMM_URL          http://127.0.0.1:PORT

            (each on the provider's own port), and account 1's credentials under each provider's names:

              PAYSANDBOX_PROJECTCX_USERNAME     PAYSANDBOX_PROJECTCX_PASSWORD
              PAYSANDBOX_PAYTOMAT_USERNAME      PAYSANDBOX_PAYTOMAT_PASSWORD
              PAYSANDBOX_PAYXTODAY_ID_RESELLER  PAYSANDBOX_PAYXTODAY_SECRET_KEY
              PAYSANDBOX_ALPHACOMM_CLIENT_ID    PAYSANDBOX_ALPHACOMM_CLIENT_SECRET

            When COMMAND ends, each account it used gets its readiness report printed, the sandbox \
            stops, and run exits with COMMAND's status (128 + N when signal N ended it). SIGINT and \
            SIGTERM sent to run go to COMMAND; the sandbox stops once COMMAND has ended. A sandbox \
            that cannot start exits 2 and COMMAND is not run; a command that cannot be started exits 127.
            """
    )

    @OptionGroup var options: SandboxOptions

    @Option(
        name: .customLong("report-junit"),
        help: "Write every used account's readiness report to this file as JUnit XML.")
    var reportJUnit: String?

    @Flag(help: "A failed check in a used account's report fails the run (exit 1 when COMMAND passed).")
    var requireReady = false

    @Argument(parsing: .postTerminator, help: "The command to run, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else {
            throw ValidationError("give the command to run after --: paysandbox run -- pytest")
        }
    }

    func run() throws {
        SignalWaiter.block()
        let started: Started
        do {
            started = try options.start(StartDefaults(port: 0, database: ":memory:", freeProviderPorts: true,
                                                      logLevel: "warning"))
        } catch let error as ValidationError {
            Self.say("the sandbox cannot start: \(error.message)")
            throw ExitCode(2)
        } catch {
            Self.say("the sandbox cannot start: \(error)")
            throw ExitCode(2)
        }
        let environment = ProcessInfo.processInfo.environment.merging(Self.environment(started)) { $1 }
        let status: Int32
        switch ChildProcess.spawn(command, environment: environment) {
        case .success(let child):
            status = report(started, child.wait())
        case .failure(let error):
            Self.say("\(error)")
            status = 127
        }
        started.stop()
        guard status == 0 else { throw ExitCode(status) }
    }

    /// Prints each used account's report (and writes the JUnit file); the status to exit with.
    private func report(_ started: Started, _ status: Int32) -> Int32 {
        let reports: [Report]
        do {
            reports = try Witness.reports(started.sandbox)
        } catch {
            Self.say("cannot read the readiness reports: \(error)")
            return status == 0 ? 1 : status
        }
        var out = "\npaysandbox run: readiness report"
            + (reports.isEmpty ? ": no account was used\n" : " of each account used\n")
        for report in reports { out += report.text }
        FileHandle.standardOutput.write(Data(out.utf8))
        if let file = reportJUnit {
            do {
                try Data(Report.junit(reports).utf8).write(to: URL(fileURLWithPath: file))
            } catch {
                Self.say("cannot write --report-junit \(file): \(error.localizedDescription)")
                return status == 0 ? 1 : status
            }
        }
        if status == 0 && requireReady && reports.contains(where: \.failed) {
            Self.say("--require-ready: a check failed (above)")
            return 1
        }
        return status
    }

    static func say(_ text: String) {
        FileHandle.standardError.write(Data("paysandbox run: \(text)\n".utf8))
    }

    /// What COMMAND is told: the addresses and the default accounts' credentials.
    static func environment(_ started: Started) -> [String: String] {
        let host: String
        switch started.host {
        case "localhost", "0.0.0.0", "*": host = "127.0.0.1"
        case "::": host = "[::1]"
        case let address: host = address.contains(":") ? "[\(address)]" : address
        }
        let main = "http://\(host):\(started.server.port)"
        var variables = ["PAYSANDBOX_URL": main]
        if let token = started.adminToken { variables["PAYSANDBOX_ADMIN_TOKEN"] = token }
        for provider in started.sandbox.providers {
            let name = "PAYSANDBOX_" + provider.key.uppercased()
            guard let account = try? started.sandbox.context.accounts.list(provider: provider.key).first else {
                continue
            }
            let seed = AccountSeed(login: account.login, secret: account.secret)
            let mount = started.server.providerPorts[provider.key].map { "http://\(host):\($0)" }
                ?? main + "/" + provider.key
            variables[name + "_URL"] = provider.apiURL(mountURL: mount, account: seed)
            if let names = provider.credentialNames {
                variables[name + "_" + names.login.uppercased()] = account.login
                variables[name + "_" + names.secret.uppercased()] = account.secret
            }
        }
        return variables
    }
}
