import ArgumentParser
import Foundation
import HTTPServer
import ProjectCX
import SandboxCore
import Witness
#if canImport(Glibc)
import Glibc
#endif

@main
struct PaySandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paysandbox",
        abstract: "A self-hosted sandbox of five payment-provider APIs.",
        discussion: """
            Every option can also be set with an environment variable: PAYSANDBOX_ and the option's name \
            in capitals with underscores (PAYSANDBOX_PORT, PAYSANDBOX_DB, PAYSANDBOX_START_TIME, …; \
            PAYSANDBOX_LISTEN takes "paytomat=9002,census=9003", PAYSANDBOX_NO_PROVIDER_PORTS=1 turns \
            the dedicated ports off). A flag wins over its variable.
            """,
        version: Sandbox.version,
        subcommands: [RunCommand.self, ReportCommand.self]
    )

    @OptionGroup var options: SandboxOptions

    func run() throws {
        SignalWaiter.block()
        let started = try options.start()
        SignalWaiter.waitForTermination()
        started.logger.warning("shutting down: finishing in-flight requests")
        started.stop()
    }
}
