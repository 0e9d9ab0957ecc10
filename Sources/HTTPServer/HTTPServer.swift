#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The HTTP/1.1 server: listening sockets with an accept thread each, and event loops (one
/// per core) that serve the connections (see `EventLoop`).
public final class HTTPServer: Sendable {
    public let configuration: ServerConfiguration

    struct State {
        var listeners: [Socket] = []
        var loops: [EventLoop] = []
        var nextLoop = 0
    }

    let state = Mutex(State())
    let openConnections = Atomic<Int>(0)
    /// Connections open now, on every listener.
    public var openConnectionCount: Int { openConnections.load(ordering: .relaxed) }
    let stopping = Atomic<Bool>(false)
    let requestTimeout: Duration
    let keepAliveTimeout: Duration

    public init(configuration: ServerConfiguration = ServerConfiguration()) {
        self.configuration = configuration
        requestTimeout = .milliseconds(Int(configuration.requestTimeout * 1000))
        keepAliveTimeout = .milliseconds(Int(configuration.keepAliveTimeout * 1000))
    }

    /// Whether the calling thread is one of the event loops, where nothing may block: a
    /// route that writes declares an `async` handler and awaits its commit instead.
    public static var isOnEventLoop: Bool { EventLoop.isCurrentThread }

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
        let accepted = try state.withLock { state -> Bool in
            if stopping.load(ordering: .sequentiallyConsistent) { return false }
            if state.loops.isEmpty {
                for _ in 0 ..< HTTPServer.loopCount {
                    let loop = try EventLoop(server: self)
                    try loop.start()
                    state.loops.append(loop)
                }
            }
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

    /// One event loop per online core (at least 1, at most 8).
    static var loopCount: Int { min(8, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

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
            let loop = state.withLock { state -> EventLoop? in
                guard !stopping.load(ordering: .sequentiallyConsistent), !state.loops.isEmpty else { return nil }
                state.nextLoop = (state.nextLoop + 1) % state.loops.count
                return state.loops[state.nextLoop]
            }
            guard let loop,
                loop.add(Connection(socket: client, remote: remote, localPort: localPort, router: router, loop: loop))
            else {
                client.close()
                connectionClosed()
                continue
            }
        }
    }

    /// Called once per accepted connection when it closes.
    func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (up to
    /// `timeout` seconds), then returns. The loops end once their last connection closes.
    public func stop(timeout: Double = 5) {
        stopping.store(true, ordering: .sequentiallyConsistent)
        let (listeners, loops) = state.withLock { state -> ([Socket], [EventLoop]) in
            defer {
                state.listeners = []
                state.loops = []  // each loop keeps itself (and the server) until it ends
            }
            return (state.listeners, state.loops)
        }
        // Each accept thread closes its socket when accept() returns.
        listeners.forEach { $0.shutdown() }
        loops.forEach { $0.wake() }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while openConnections.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            usleep(5_000)
        }
    }
}
