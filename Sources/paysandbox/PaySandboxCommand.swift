import ArgumentParser
import HTTPServer
import ProjectCX
import SandboxCore
#if canImport(Glibc)
import Glibc
#endif

@main
struct PaySandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paysandbox",
        abstract: "A self-hosted sandbox of five payment-provider APIs.",
        discussion: """
            Every option can also be set with an environment variable (PAYSANDBOX_PORT,
            PAYSANDBOX_HOST, PAYSANDBOX_DB, PAYSANDBOX_LOG_LEVEL, PAYSANDBOX_LISTEN as
            "paytomat=9002,census=9003", PAYSANDBOX_NO_PROVIDER_PORTS=1, PAYSANDBOX_CORS_ORIGIN,
            PAYSANDBOX_MAX_BODY, PAYSANDBOX_MAX_CONNECTIONS). A flag wins over its variable.
            """
    )

    @Option(help: "Address to listen on: localhost (127.0.0.1 and ::1), 0.0.0.0, ::, or a numeric address. (default: localhost)")
    var host: String?

    @Option(help: "Main port: every provider under /<provider>, the control plane under /_sandbox. (default: 8080)")
    var port: Int?

    @Option(help: "SQLite database file, or :memory:. (default: ./paysandbox.sqlite)")
    var db: String?

    @Option(help: "debug, info (one access-log line per request), warning or error. (default: info)")
    var logLevel: String?

    @Option(name: .customLong("listen"), help: "Move a provider's dedicated port: provider=port (repeatable). Defaults: projectcx=8081 paytomat=8082 census=8083 payxtoday=8084 alphacomm=8085.")
    var listen: [String] = []

    @Flag(help: "Serve providers on the main port only.")
    var noProviderPorts = false

    @Option(help: "Access-Control-Allow-Origin for browser clients, or 'off'. (default: *)")
    var corsOrigin: String?

    @Option(help: "Largest request body in bytes. (default: 1048576)")
    var maxBody: Int?

    @Option(help: "Open connections at most. (default: 512)")
    var maxConnections: Int?

    func run() throws {
        SignalWaiter.block()
        let env = Environment()
        let level = try LogLevel(name: logLevel ?? env["LOG_LEVEL"] ?? "info")
            .orThrow(ValidationError("--log-level must be debug, info, warning or error"))
        let logger = Logger(level: level)

        var listenConfiguration = ListenConfiguration()
        listenConfiguration.host = host ?? env["HOST"] ?? "localhost"
        listenConfiguration.port = try port ?? env.int("PORT") ?? 8080
        listenConfiguration.providerPortsEnabled = !(noProviderPorts || env.flag("NO_PROVIDER_PORTS"))
        let providers = Providers.all
        let assignments = listen.isEmpty ? (env["LISTEN"]?.split(separator: ",").map(String.init) ?? []) : listen
        for assignment in assignments {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let p = Int(parts[1]), (1 ... 65535).contains(p) else {
                throw ValidationError("--listen takes provider=port, got '\(assignment)'")
            }
            guard providers.contains(where: { $0.key == parts[0] }) else {
                throw ValidationError("--listen: unknown provider '\(parts[0])' (known: \(providers.map(\.key).joined(separator: ", ")))")
            }
            listenConfiguration.providerPorts[parts[0]] = p
        }

        var serverConfiguration = ServerConfiguration()
        serverConfiguration.logger = logger
        let cors = corsOrigin ?? env["CORS_ORIGIN"] ?? "*"
        serverConfiguration.corsAllowOrigin = cors == "off" ? nil : cors
        serverConfiguration.limits.maxBodyBytes = try maxBody ?? env.int("MAX_BODY") ?? serverConfiguration.limits.maxBodyBytes
        serverConfiguration.maxConnections = try maxConnections ?? env.int("MAX_CONNECTIONS") ?? serverConfiguration.maxConnections

        let databasePath = db ?? env["DB"] ?? "./paysandbox.sqlite"
        let sandbox = try Sandbox(databasePath: databasePath, providers: providers, logger: logger)
        let server = try SandboxServer(sandbox: sandbox, listen: listenConfiguration, server: serverConfiguration)
        Banner.print(sandbox: sandbox, server: server, host: listenConfiguration.host, database: databasePath, logger: logger)
        SignalWaiter.waitForTermination()
        logger.warning("shutting down: finishing in-flight requests")
        server.stop()
        do {
            try sandbox.store.checkpoint()
        } catch {
            logger.error("closing the store: \(error)")
        }
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

/// `PAYSANDBOX_*` variables.
struct Environment {
    subscript(name: String) -> String? {
        guard let value = getenv("PAYSANDBOX_" + name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    func int(_ name: String) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text) else { throw ValidationError("PAYSANDBOX_\(name) must be a number, got '\(text)'") }
        return value
    }

    func flag(_ name: String) -> Bool {
        guard let text = self[name]?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(text)
    }
}
