import ArgumentParser
import Foundation
import HTTPServer
import SandboxCore
import Witness

/// The options that start a sandbox, shared by `paysandbox` (serve) and `paysandbox run`.
struct SandboxOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Address to listen on: localhost (127.0.0.1 and ::1), 0.0.0.0, ::, or a numeric address. "
                + "(default: localhost)")
    )
    var host: String?

    @Option(help: ArgumentHelp(
        "Main port: every provider under /<provider>, the control plane under /_sandbox. "
            + "(default: 8080; for run, one the system picks)"))
    var port: Int?

    @Option(help: "SQLite database file, or :memory:. (default: ./paysandbox.sqlite; for run, :memory:)")
    var db: String?

    @Option(help: "debug, info (one access-log line per request), warning or error. (default: info; for run, warning)")
    var logLevel: String?

    @Option(
        name: .customLong("listen"),
        help:
            ArgumentHelp("Set a provider's dedicated port: provider=port (repeatable). "
                + "Defaults: projectcx=8081 paytomat=8082 census=8083 payxtoday=8084 alphacomm=8085.")
    )
    var listen: [String] = []

    @Flag(help: "Serve providers on the main port only (but those given a port with --listen).")
    var noProviderPorts = false

    @Option(help: "Access-Control-Allow-Origin for browser clients, or 'off'. (default: *)")
    var corsOrigin: String?

    @Option(help: "Largest request body in bytes. (default: 1048576)")
    var maxBody: Int?

    @Option(help: "Open connections at most. (default: 2048)")
    var maxConnections: Int?

    @Option(
        help: "Freeze the sandbox clock at this ISO 8601 time; it then moves only with POST /_sandbox/clock/advance.")
    var startTime: String?

    @Option(help: "Seed for ids and tokens, so the same calls give the same ids (use with a fresh database).")
    var seed: UInt64?

    @Option(help: "Hosts (host or host:port, comma-separated) callbacks and webhooks may go to. (default: any)")
    var callbackAllow: String?

    @Option(help: "Attempts per callback or webhook before it is marked failed. (default: 10)")
    var deliveryAttempts: Int?

    @Option(help: "Seconds before the first retry; each next one doubles, capped at an hour. (default: 5)")
    var deliveryBackoff: Double?

    @Option(help: "Seconds to connect and to wait for a callback's answer. (default: 10)")
    var deliveryTimeout: Double?

    @Option(help: "Requests the journal (/_sandbox/requests) keeps. (default: 1000)")
    var journalSize: Int?

    @Option(
        help: ArgumentHelp(
            "Addresses (comma-separated) allowed to call Census besides loopback; others get 403. "
                + "(default: loopback only)")
    )
    var censusAllowIp: String?

    @Option(help: ArgumentHelp(
        "Token the control plane and dashboard require "
            + "(Authorization: Bearer TOKEN, or Basic with it as the password); "
            + "'off' for none. (default: none on loopback; beyond loopback a random one, printed in the banner)"))
    var adminToken: String?

    @Option(
        help:
            ArgumentHelp("Names (comma-separated) the control plane answers to besides localhost and IP addresses: "
                + "a LAN name, a proxy's.")
    )
    var publicHost: String?

    @Option(help: "Start from this snapshot file's state (one downloaded from /_sandbox/snapshots/NAME/file).")
    var restore: String?

    @Option(help: ArgumentHelp(
        "A JSON file of accounts (fixed credentials, settings), Census persons and payments, "
            + "made at start and by every reset (docs/snapshots.md)."))
    var fixtures: String?

    @Flag(help: "With --fixtures: only the file's accounts, no default ones.")
    var fixturesOnly = false

    @Option(help: "Reset on a timer: 24h, 90m, 1h30m, 45s (wall-clock time, not the sandbox clock).")
    var resetEvery: String?

    @Option(help: ArgumentHelp(
        "With --reset-every: restore this snapshot instead of resetting to the fixtures (or the default state)."))
    var resetTo: String?
}

/// A sandbox started and listening.
struct Started {
    let sandbox: Sandbox
    let server: SandboxServer
    let logger: Logger
    let host: String
    /// The token the control plane requires, if any.
    let adminToken: String?

    /// Stops listening (finishing in-flight requests), stops the jobs and closes the store.
    func stop() {
        server.stop()
        sandbox.scheduler.stop()
        do {
            try sandbox.store.checkpoint()
        } catch {
            logger.error("closing the store: \(error)")
        }
    }
}

/// Where `start` takes its defaults from: `paysandbox` serves on fixed ports and a file,
/// `paysandbox run` on ports the system picks and in memory.
struct StartDefaults {
    var port = 8080
    var database = "./paysandbox.sqlite"
    /// Dedicated ports the system picks, instead of each provider's default.
    var freeProviderPorts = false
    var logLevel = "info"
}

extension SandboxOptions {
    /// Starts the sandbox: everything but waiting. Throws `ValidationError` for a bad option
    /// and what the listener throws for a port it cannot have.
    func start(_ defaults: StartDefaults = StartDefaults()) throws -> Started {
        let env = Environment()
        let level = try LogLevel(name: logLevel ?? env["LOG_LEVEL"] ?? defaults.logLevel)
            .orThrow(ValidationError("--log-level must be debug, info, warning or error"))
        let logger = Logger(level: level)

        var listenConfiguration = ListenConfiguration()
        listenConfiguration.host = host ?? env["HOST"] ?? "localhost"
        listenConfiguration.port = try port ?? env.int("PORT") ?? defaults.port
        listenConfiguration.providerPortsEnabled = !(noProviderPorts || env.flag("NO_PROVIDER_PORTS"))
        let censusAllowed = (censusAllowIp ?? env["CENSUS_ALLOW_IP"] ?? "").split(separator: ",")
            .map { String($0).trimmingASCIISpaces() }.filter { !$0.isEmpty }
        let providers = Providers.all(censusAllowedIPs: censusAllowed)
        let assignments = listen.isEmpty ? (env["LISTEN"]?.split(separator: ",").map(String.init) ?? []) : listen
        for assignment in assignments {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let p = Int(parts[1]), (1 ... 65535).contains(p) else {
                throw ValidationError("--listen takes provider=port, got '\(assignment)'")
            }
            guard providers.contains(where: { $0.key == parts[0] }) else {
                throw ValidationError(
                    "--listen: unknown provider '\(parts[0])' (known: \(providers.map(\.key).joined(separator: ", ")))")
            }
            listenConfiguration.providerPorts[parts[0]] = p
        }
        if defaults.freeProviderPorts && listenConfiguration.providerPortsEnabled {
            for provider in providers where listenConfiguration.providerPorts[provider.key] == nil {
                listenConfiguration.providerPorts[provider.key] = 0
            }
        }

        var serverConfiguration = ServerConfiguration()
        serverConfiguration.logger = logger
        let cors = corsOrigin ?? env["CORS_ORIGIN"] ?? "*"
        serverConfiguration.corsAllowOrigin = cors == "off" ? nil : cors
        serverConfiguration.limits.maxBodyBytes =
            try maxBody ?? env.int("MAX_BODY") ?? serverConfiguration.limits.maxBodyBytes
        serverConfiguration.maxConnections =
            try maxConnections ?? env.int("MAX_CONNECTIONS") ?? serverConfiguration.maxConnections

        FileLimit.raise(toServe: serverConfiguration.maxConnections, logger: logger)
        let databasePath = db ?? env["DB"] ?? defaults.database
        var sandboxConfiguration = SandboxConfiguration(databasePath: databasePath)
        sandboxConfiguration.logger = logger
        sandboxConfiguration.extensions = [Witness()]
        if let text = startTime ?? env["START_TIME"] {
            sandboxConfiguration.startTime = try Timestamp.parseISO8601(text)
                .orThrow(
                    ValidationError("--start-time must be an ISO 8601 time like 2026-01-01T00:00:00Z, got '\(text)'"))
        }
        if let text = env["SEED"], seed == nil {
            sandboxConfiguration.seed = try UInt64(text).orThrow(
                ValidationError("PAYSANDBOX_SEED must be a whole number"))
        } else {
            sandboxConfiguration.seed = seed
        }
        if let hosts = callbackAllow ?? env["CALLBACK_ALLOW"] {
            sandboxConfiguration.delivery.allowedHosts = hosts.split(separator: ",").map {
                String($0).trimmingASCIISpaces()
            }.filter { !$0.isEmpty }
        }
        let attempts = try deliveryAttempts ?? env.int("DELIVERY_ATTEMPTS") ?? sandboxConfiguration.delivery.maxAttempts
        guard (1 ... 100).contains(attempts) else { throw ValidationError("--delivery-attempts must be 1 to 100") }
        sandboxConfiguration.delivery.maxAttempts = attempts
        let backoff =
            try deliveryBackoff ?? env.double("DELIVERY_BACKOFF") ?? sandboxConfiguration.delivery.baseDelaySeconds
        guard backoff > 0 && backoff <= 3600 else {
            throw ValidationError("--delivery-backoff must be more than 0 and at most 3600 seconds")
        }
        sandboxConfiguration.delivery.baseDelaySeconds = backoff
        let timeout =
            try deliveryTimeout ?? env.double("DELIVERY_TIMEOUT") ?? sandboxConfiguration.delivery.timeoutSeconds
        guard timeout > 0 && timeout <= 300 else {
            throw ValidationError("--delivery-timeout must be more than 0 and at most 300 seconds")
        }
        sandboxConfiguration.delivery.timeoutSeconds = timeout
        let journal = try journalSize ?? env.int("JOURNAL_SIZE") ?? sandboxConfiguration.journalSize
        guard journal >= 0 && journal <= 1_000_000 else { throw ValidationError("--journal-size must be 0 to 1000000") }
        sandboxConfiguration.journalSize = journal
        let access = try adminAccess(host: listenConfiguration.host, env: env)
        sandboxConfiguration.admin = access.admin
        try knownStates(&sandboxConfiguration, env: env)
        let sandbox: Sandbox
        do {
            sandbox = try Sandbox(configuration: sandboxConfiguration, providers: providers)
        } catch let error as FixtureError {
            throw ValidationError("--fixtures \(error)")
        } catch let error as SnapshotError {
            throw ValidationError(error.description)
        }
        if let file = restore ?? env["RESTORE"] {
            guard let bytes = FileManager.default.contents(atPath: file) else {
                throw ValidationError("--restore: cannot read \(file)")
            }
            do {
                try sandbox.restore(bytes: Array(bytes))
            } catch {
                throw ValidationError("--restore \(file): \(error)")
            }
        }
        let server = try SandboxServer(sandbox: sandbox, listen: listenConfiguration, server: serverConfiguration)
        sandbox.scheduler.start()
        sandbox.startResets()
        Banner.print(sandbox: sandbox, server: server, host: listenConfiguration.host, database: databasePath,
                     token: access.shown, logger: logger)
        if access.off {
            logger.warning("the control plane is exposed beyond loopback with no admin token (--admin-token off)")
        }
        return Started(sandbox: sandbox, server: server, logger: logger, host: listenConfiguration.host,
                       adminToken: access.admin.token)
    }
}

extension SandboxOptions {
    /// The admin token and names. Beyond loopback the control plane is locked: with the token
    /// given, or one made now and shown in the banner, unless `--admin-token off`.
    func adminAccess(host: String, env: Environment) throws
        -> (admin: AdminAccess, shown: Banner.Token, off: Bool) {
        let given = (adminToken ?? env["ADMIN_TOKEN"])?.trimmingASCIISpaces()
        let hosts = (publicHost ?? env["PUBLIC_HOST"] ?? "").split(separator: ",")
            .map { String($0).trimmingASCIISpaces() }.filter { !$0.isEmpty }
        for name in hosts where name.contains(where: { $0 == "/" || $0 == " " || $0 == "@" }) {
            throw ValidationError("--public-host takes host names, got '\(name)'")
        }
        let loopback = AdminAccess.isLoopback(host)
        let bound = loopback || host == "0.0.0.0" || host == "::" || host == "*" ? nil : host
        switch given {
        case "off"?:
            return (AdminAccess(publicHosts: hosts, boundHost: bound), loopback ? .none : .off, !loopback)
        case let token?:
            guard !token.isEmpty, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw ValidationError("--admin-token must be printable ASCII without spaces (or 'off')")
            }
            return (AdminAccess(token: token, publicHosts: hosts, boundHost: bound), .given, false)
        case nil where loopback:
            return (AdminAccess(publicHosts: hosts, boundHost: bound), .none, false)
        case nil:
            let token = IDGenerator(seed: nil).token(24)
            return (AdminAccess(token: token, publicHosts: hosts, boundHost: bound), .made(token), false)
        }
    }
}

extension SandboxOptions {
    /// `--fixtures`, `--fixtures-only`, `--reset-every`, `--reset-to`.
    func knownStates(_ configuration: inout SandboxConfiguration, env: Environment) throws {
        let only = fixturesOnly || env.flag("FIXTURES_ONLY")
        if let file = fixtures ?? env["FIXTURES"] {
            do {
                configuration.fixtures = try Fixtures.load(file, only: only)
            } catch {
                throw ValidationError("--fixtures \(error)")
            }
            configuration.defaultAccounts = !only
        } else if only {
            throw ValidationError("--fixtures-only needs --fixtures FILE")
        }
        let target = resetTo ?? env["RESET_TO"]
        guard let text = resetEvery ?? env["RESET_EVERY"] else {
            if target != nil { throw ValidationError("--reset-to needs --reset-every") }
            return
        }
        guard let interval = ResetSchedule.milliseconds(text) else {
            throw ValidationError(
                "--reset-every takes a duration like 24h, 90m, 1h30m or 45s (a second at least), got '\(text)'")
        }
        configuration.resets = ResetSchedule(interval: interval, snapshot: target)
    }
}
