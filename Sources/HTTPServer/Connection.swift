#if canImport(Glibc)
import Glibc
#endif

/// One client connection, served on its own thread: read, parse, route, write, until
/// the client or the server closes it or a timeout passes.
struct Connection {
    let socket: Socket
    let remote: String
    let localPort: Int
    let router: Router
    let server: HTTPServer
    let flag: HTTPServer.IdleFlag
    private var parser: HTTPRequestParser
    private var date = HTTPDate()

    static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    init(socket: Socket, remote: String, localPort: Int, router: Router, server: HTTPServer, flag: HTTPServer.IdleFlag) {
        self.flag = flag
        self.socket = socket
        self.remote = remote
        self.localPort = localPort
        self.router = router
        self.server = server
        self.parser = HTTPRequestParser(limits: server.configuration.limits)
    }

    mutating func run() {
        socket.setNoDelay()
        let configuration = server.configuration
        let requestTimeout = Duration.milliseconds(Int(configuration.requestTimeout * 1000))
        let keepAliveTimeout = Duration.milliseconds(Int(configuration.keepAliveTimeout * 1000))
        // Reads block with a receive timeout of a quarter of the shorter limit, so that
        // deadlines are checked without a poll() per request.
        socket.setReceiveTimeout(seconds: max(0.01, min(configuration.requestTimeout, configuration.keepAliveTimeout) / 4))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        let clock = ContinuousClock()
        var idleSince = clock.now
        var requestStart: ContinuousClock.Instant?
        while true {
            do {
                while let event = try parser.next() {
                    switch event {
                    case .continueExpected:
                        try socket.write(Connection.continueBytes)
                    case .request(let request):
                        let keepAlive = try answer(request)
                        if !keepAlive { return }
                        requestStart = nil
                        idleSince = clock.now
                    }
                }
            } catch let error as HTTPParseError {
                fail(status: error.status, message: error.message)
                return
            } catch {
                return // the client went away while we wrote
            }

            let midRequest = parser.isMidRequest
            if midRequest {
                if requestStart == nil { requestStart = clock.now }
            } else {
                flag.idle.store(true, ordering: .sequentiallyConsistent)
                if server.isStopping { return }
            }
            let count = socket.read(into: buffer)
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if let start = requestStart, midRequest, start + requestTimeout <= clock.now {
                    fail(status: 408, message: "Request not received in time")
                    return
                }
                if !midRequest && idleSince + keepAliveTimeout <= clock.now { return }
                continue
            }
            if count <= 0 { return }
            if midRequest {
                if let start = requestStart, start + requestTimeout <= clock.now {
                    fail(status: 408, message: "Request not received in time")
                    return
                }
            } else {
                flag.idle.store(false, ordering: .sequentiallyConsistent)
                requestStart = clock.now
            }
            parser.append(UnsafeRawBufferPointer(rebasing: buffer[0 ..< count]))
        }
    }

    /// Routes one request, writes the response, tells whether to keep the connection.
    private mutating func answer(_ parsed: HTTPRequest) throws -> Bool {
        var request = parsed
        request.remoteAddress = remote
        request.localPort = localPort
        let configuration = server.configuration
        let started = ContinuousClock.now
        var response = Connection.cors(request, configuration) ?? router.respond(to: request)
        if let origin = configuration.corsAllowOrigin, request.headers.contains("Origin") {
            response.headers.set("Access-Control-Allow-Origin", origin)
            if origin != "*" { response.headers.add("Vary", "Origin") }
        }
        let keepAlive = request.keepAlive && !server.isStopping
        try socket.write(response.serialized(date: date.now(), keepAlive: keepAlive, includeBody: request.method != "HEAD"))
        if configuration.logger.enabled(.info) {
            let elapsed = started.duration(to: .now)
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            configuration.logger.info("\(request.method) \(request.target) \(response.status) \(Double(micros) / 1000)ms \(remote)")
        }
        return keepAlive
    }

    /// Answers a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method).
    static func cors(_ request: HTTPRequest, _ configuration: ServerConfiguration) -> HTTPResponse? {
        guard configuration.corsAllowOrigin != nil, request.method == "OPTIONS",
              request.headers.contains("Origin"),
              request.headers.contains("Access-Control-Request-Method") else { return nil }
        var response = HTTPResponse(status: 204)
        response.headers.add("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
        response.headers.add("Access-Control-Allow-Headers",
                             request.headers["Access-Control-Request-Headers"] ?? "Authorization, Content-Type")
        response.headers.add("Access-Control-Max-Age", "600")
        return response
    }

    /// Sends an error with `Connection: close`, then reads and drops what the client is
    /// still sending for a moment, so it sees the response rather than a reset.
    private mutating func fail(status: Int, message: String) {
        let response = HTTPResponse.json(["error": .string(message)], status: status)
        try? socket.write(response.serialized(date: date.now(), keepAlive: false, includeBody: true))
        server.configuration.logger.info("- - \(status) \(message) \(remote)")
        Connection.linger(socket)
    }

    /// Refuses a connection from the accept thread without waiting on the client:
    /// the response, a half-close, and what it already sent is dropped.
    static func reject(_ socket: Socket, status: Int, message: String) {
        var date = HTTPDate()
        let response = HTTPResponse.json(["error": .string(message)], status: status)
        try? socket.write(response.serialized(date: date.now(), keepAlive: false, includeBody: true))
        _ = Glibc.shutdown(socket.fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        while scratch.withUnsafeMutableBytes({ recv(socket.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
        socket.close()
    }

    static func linger(_ socket: Socket) {
        _ = Glibc.shutdown(socket.fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        var drained = 0
        while drained < 1 << 20, socket.waitReadable(milliseconds: 500) {
            let n = scratch.withUnsafeMutableBytes { socket.read(into: $0) }
            if n <= 0 { break }
            drained += n
        }
    }
}
