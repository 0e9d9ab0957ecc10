import HTTPServer
import SandboxCore
import Witness

/// The real server, in-process, on an ephemeral port with an in-memory store and the
/// scheduler running. Provider ports are off; each test gets its own sandbox.
public final class TestSandbox: Sendable {
    public let sandbox: Sandbox
    public let server: SandboxServer
    public var port: Int { server.port }

    public init(providers: [any Provider],
                configureSandbox: (inout SandboxConfiguration) -> Void = { _ in },
                configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.logger = Logger(level: .error)
        configure(&configuration)
        var sandboxConfiguration = SandboxConfiguration(databasePath: ":memory:")
        sandboxConfiguration.logger = configuration.logger
        sandboxConfiguration.delivery.timeoutSeconds = 2
        sandboxConfiguration.extensions = [Witness()]
        configureSandbox(&sandboxConfiguration)
        sandbox = try Sandbox(configuration: sandboxConfiguration, providers: providers)
        var listen = ListenConfiguration()
        listen.host = "127.0.0.1"
        listen.port = 0
        listen.providerPortsEnabled = false
        server = try SandboxServer(sandbox: sandbox, listen: listen, server: configuration)
        sandbox.scheduler.start(interval: .milliseconds(50))
    }

    public func client() throws -> TestClient { try TestClient(port: port) }

    deinit {
        server.stop(timeout: 1)
        sandbox.scheduler.stop()
    }
}
