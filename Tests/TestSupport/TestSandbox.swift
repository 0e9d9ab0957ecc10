import HTTPServer
import SandboxCore

/// The real server, in-process, on an ephemeral port with an in-memory store.
/// Provider ports are off; each test gets its own sandbox.
public final class TestSandbox: Sendable {
    public let sandbox: Sandbox
    public let server: SandboxServer
    public var port: Int { server.port }

    public init(providers: [any Provider], configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.logger = Logger(level: .error)
        configure(&configuration)
        sandbox = try Sandbox(databasePath: ":memory:", providers: providers, logger: configuration.logger)
        var listen = ListenConfiguration()
        listen.host = "127.0.0.1"
        listen.port = 0
        listen.providerPortsEnabled = false
        server = try SandboxServer(sandbox: sandbox, listen: listen, server: configuration)
    }

    public func client() throws -> TestClient { try TestClient(port: port) }

    deinit { server.stop(timeout: 1) }
}
