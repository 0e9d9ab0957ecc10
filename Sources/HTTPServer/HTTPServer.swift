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
        /// Connection descriptors and whether each is idle between requests.
        var connections: [Int32: Bool] = [:]
        var stopping = false
    }

    let state = Mutex(State())
    let openConnections = Atomic<Int>(0)

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
            if state.stopping { return false }
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
            if openConnections.add(1, ordering: .relaxed).newValue > configuration.maxConnections {
                openConnections.subtract(1, ordering: .relaxed)
                Connection.reject(client, status: 503, message: "Too many open connections")
                continue
            }
            let registered = state.withLock { state -> Bool in
                if state.stopping { return false }
                state.connections[client.fd] = false
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
                                                router: router, server: self)
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

    /// Marks a connection idle (between requests) or busy. Returns false when the server
    /// is stopping and an idle connection should close.
    func setIdle(_ socket: Socket, _ idle: Bool) -> Bool {
        state.withLock { state in
            if idle && state.stopping { return false }
            state.connections[socket.fd] = idle
            return true
        }
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (up to
    /// `timeout` seconds), then returns.
    public func stop(timeout: Double = 5) {
        let listeners = state.withLock { state -> [Socket] in
            state.stopping = true
            for (fd, idle) in state.connections where idle { Socket(fd: fd).shutdown() }
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
