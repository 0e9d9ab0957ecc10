import HTTPServer
import SandboxCore

enum Banner {
    /// What the banner says of the admin token.
    enum Token {
        case none, given, off
        case made(String)
    }

    static func print(
        sandbox: Sandbox, server: SandboxServer, host: String, database: String, token: Token, logger: Logger
    ) {
        let shownHost = host == "0.0.0.0" || host == "::" || host == "*" ? "localhost" : host
        let base = "http://\(shownHost.contains(":") ? "[\(shownHost)]" : shownHost):\(server.port)"
        var lines = [
            "PaySandbox listening on \(base) (\(HTTPServer.addresses(for: host).joined(separator: ", "))), "
            + "database \(database)"
        ]
        lines.append("  control plane   \(base)/_sandbox/health")
        switch token {
        case .none: lines.append("  admin token     none (loopback only)")
        case .given: lines.append("  admin token     the one given (--admin-token / PAYSANDBOX_ADMIN_TOKEN)")
        case .made(let t):
            lines.append("  admin token     \(t)")
            lines.append(
                "      (listening beyond loopback: /_sandbox/ needs Authorization: Bearer <token>, "
                    + "or Basic with it as the password)"
            )
        case .off:
            lines.append(
                "  admin token     OFF: anyone who reaches this port can reset the sandbox and read its journal")
        }
        for provider in sandbox.providers {
            var line = "  \(provider.key.padding(to: 15)) \(base)/\(provider.key)/"
            if let own = server.providerPorts[provider.key] {
                line += "  and http://\(shownHost.contains(":") ? "[\(shownHost)]" : shownHost):\(own)/"
            }
            lines.append(line)
            let accounts = (try? sandbox.context.accounts.list(provider: provider.key)) ?? []
            for account in accounts.prefix(5) {
                let seed = AccountSeed(login: account.login, secret: account.secret)
                lines.append("      account \(account.id): \(provider.describe(seed))")
            }
            if accounts.count > 5 { lines.append("      … and \(accounts.count - 5) more") }
        }
        if let fixtures = sandbox.configuration.fixtures {
            lines.append(
                "  fixtures        \(fixtures.file): "
                    + (sandbox.appliedFixtures
                        ? "applied (the state is the file's)"
                        : "the state was made from this file already and is kept "
                            + "(POST /_sandbox/reset makes it afresh)"))
        }
        if let resets = sandbox.resets {
            let target = resets.snapshot.map { "snapshot '\($0)'" }
                ?? (sandbox.configuration.fixtures == nil ? "the default state" : "the fixtures")
            lines.append(
                "  resets          every \(resets.interval / 1000) s to \(target); "
                    + "next at \(Timestamp.iso8601(milliseconds: resets.nextDue))")
        }
        // The banner is what a person reads first: it shows at every log level but error.
        logger.log(.warning, lines.joined(separator: "\n"))
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
