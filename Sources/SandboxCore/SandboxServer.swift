import HTTPServer

/// Where the sandbox listens: the main port and each provider's dedicated port.
public struct ListenConfiguration: Sendable {
    public var host = "localhost"
    public var port = 8080
    /// Dedicated ports by provider key, each opened whatever `providerPortsEnabled` says; a
    /// provider missing here gets its default port, if those are enabled.
    public var providerPorts: [String: Int] = [:]
    /// False turns the default dedicated ports off (those in `providerPorts` stay).
    public var providerPortsEnabled = true

    public init() {}
}

/// The sandbox's HTTP side: starts the main listener and the provider listeners.
public final class SandboxServer: Sendable {
    public let sandbox: Sandbox
    public let server: HTTPServer
    /// The main port actually bound (useful with port 0).
    public let port: Int
    /// Dedicated ports actually bound, by provider key.
    public let providerPorts: [String: Int]

    public init(sandbox: Sandbox, listen: ListenConfiguration, server configuration: ServerConfiguration) throws {
        self.sandbox = sandbox
        server = HTTPServer(configuration: configuration)
        port = try server.listen(host: listen.host, port: listen.port, router: sandbox.mainRouter())
        var bound: [String: Int] = [:]
        for provider in sandbox.providers {
            guard
                let wanted = listen.providerPorts[provider.key]
                    ?? (listen.providerPortsEnabled ? provider.defaultPort : nil)
            else {
                continue
            }
            do {
                bound[provider.key] = try server.listen(
                    host: listen.host, port: wanted, router: sandbox.providerRouter(provider))
            } catch {
                configuration.logger.warning("\(provider.key) not served on its own port \(wanted): \(error)")
            }
        }
        providerPorts = bound
        sandbox.countConnections { [server] in server.openConnectionCount }
        sandbox.journal.start()
    }

    public func stop(timeout: Double = 5) {
        server.stop(timeout: timeout)
    }
}
