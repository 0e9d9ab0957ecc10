#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The HTTP/1.1 server: listening sockets, one accept thread per socket, one thread per
/// connection with blocking I/O. Handlers run on the connection's thread.
public final class HTTPServer: Sendable {
    public let configuration: ServerConfiguration

    struct State {
        var listeners: [Socket] = []
        /// Open connections by descriptor, with their idle flags.
        var connections: [Int32: IdleFlag] = [:]
    }

    /// Set by a connection while it waits between requests, so `stop()` can close it.
    final class IdleFlag: Sendable {
        let idle = Atomic<Bool>(false)
    }

    let state = Mutex(State())
    let openConnections = Atomic<Int>(0)
    private let acceptedConnections = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)

    public init(configuration: ServerConfiguration = ServerConfiguration()) {
        self.configuration = configuration
    }

    /// The numeric addresses a host name stands for: "localhost" is both loopbacks.
    public static func addresses(for host: String) -> [String] {
        switch host.lowercased() {
        case "localhost": return ["127.0.0.1", "::1"]
        case "*": return ["::"]
        default:
            if host.hasPrefix("[") && host.hasSuffix("]") { return [String(host.dropFirst().dropLast())] }
            return [host]
        }
    }

    /// Listens on every address of `host` (port 0: an ephemeral port, the same on each
    /// address) and serves `router` there. Returns the port. A second address that cannot
    /// be bound (no IPv6 on the machine) is a warning when the first one worked.
    @discardableResult
    public func listen(host: String, port: Int, router: Router) throws -> Int {
        var boundPort = port
        var opened: [Socket] = []
        for (index, address) in HTTPServer.addresses(for: host).enumerated() {
            do {
                let socket = try Socket.listen(address: address, port: UInt16(clamping: boundPort))
                if boundPort == 0 { boundPort = socket.localPort }
                opened.append(socket)
            } catch {
                if index == 0 { throw error }
                configuration.logger.warning("not listening on \(address):\(boundPort): \(error)")
            }
        }
        let accepted = state.withLock { state -> Bool in
            if stopping.load(ordering: .sequentiallyConsistent) { return false }
            state.listeners += opened
            return true
        }
        guard accepted else {
            opened.forEach { $0.close() }
            throw SocketError("listen", code: ECANCELED)
        }
        for socket in opened {
            try spawnThread(stackSize: 256 * 1024) { [self] in acceptLoop(socket, router: router) }
        }
        return boundPort
    }

    private func acceptLoop(_ listener: Socket, router: Router) {
        let localPort = listener.localPort
        defer { listener.close() }
        while true {
            let accepted: (Socket, String)?
            do {
                accepted = try listener.accept()
            } catch {
                configuration.logger.error("\(error)")
                continue
            }
            guard let (client, remote) = accepted else { return }
            acceptedConnections.add(1, ordering: .relaxed)
            if openConnections.add(1, ordering: .relaxed).newValue > configuration.maxConnections {
                openConnections.subtract(1, ordering: .relaxed)
                Connection.reject(client, status: 503, message: "Too many open connections")
                continue
            }
            let flag = IdleFlag()
            let registered = state.withLock { state -> Bool in
                if stopping.load(ordering: .sequentiallyConsistent) { return false }
                state.connections[client.fd] = flag
                return true
            }
            guard registered else {
                openConnections.subtract(1, ordering: .relaxed)
                client.close()
                continue
            }
            do {
                try spawnThread { [self] in
                    var connection = Connection(socket: client, remote: remote, localPort: localPort,
                                                router: router, server: self, flag: flag)
                    connection.run()
                    finished(client)
                }
            } catch {
                configuration.logger.error("\(error)")
                finished(client)
            }
        }
    }

    private func finished(_ socket: Socket) {
        state.withLock { _ = $0.connections.removeValue(forKey: socket.fd) }
        socket.close()
        openConnections.subtract(1, ordering: .relaxed)
    }

    /// Connections accepted since start (keep-alive reuse shows as fewer connections than requests).
    public var connectionsAccepted: Int { acceptedConnections.load(ordering: .relaxed) }

    var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (up to
    /// `timeout` seconds), then returns.
    public func stop(timeout: Double = 5) {
        stopping.store(true, ordering: .sequentiallyConsistent)
        let listeners = state.withLock { state -> [Socket] in
            // A connection marks itself idle, then checks `stopping`; we set `stopping`,
            // then look for idle ones: every idle connection is closed by one side or both.
            for (fd, flag) in state.connections where flag.idle.load(ordering: .sequentiallyConsistent) {
                Socket(fd: fd).shutdown()
            }
            defer { state.listeners = [] }
            return state.listeners
        }
        // Each accept thread closes its socket when accept() returns.
        listeners.forEach { $0.shutdown() }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while openConnections.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            usleep(5_000)
        }
    }
}
