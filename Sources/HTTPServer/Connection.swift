#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One client connection, served by its `EventLoop` and, for routes that write, by a task on
/// that loop: read what arrived, answer every complete request, write, then wait in epoll for
/// more, until the client or the server closes it or a deadline passes.
///
/// It belongs to one thread at a time, named by `owner`: epoll (waiting, armed for one event),
/// the loop (after that event, or in a sweep), an awaiting handler's task (`task`), or nobody
/// once closed. The owning thread hands it back by storing `owner` and
/// then arming the socket, and never touches it after that. `@unchecked Sendable` on those
/// terms.
final class Connection: @unchecked Sendable {
    private enum Owner: Int {
        case epoll, loop, task, closed
    }

    /// What the connection waits for between turns.
    private enum Phase {
        /// Requests (and the time since the last one ended, or since this one began).
        case serving
        /// Room in the socket for `output`; closes after it when `closeAfterOutput`.
        case writing(since: ContinuousClock.Instant)
        /// After an error response: reading and dropping what the client still sends, for a
        /// moment, so that it sees the response rather than a reset.
        case lingering(until: ContinuousClock.Instant, drained: Int)
    }

    let socket: Socket
    let remote: String
    let localPort: Int
    private let router: Router
    private let loop: EventLoop
    private let owner = Atomic<Int>(Owner.epoll.rawValue)
    private var parser: HTTPRequestParser
    private var date = HTTPDate()
    private var output: [UInt8] = []
    private var written = 0
    private var closeAfterOutput = false
    /// The client closed its side: what it sent is answered, then the connection closes.
    private var inputEnded = false
    private var phase = Phase.serving
    private var idleSince = ContinuousClock.now
    private var requestStart: ContinuousClock.Instant?
    /// A `hang` fault: answer nothing more and close at this time.
    private var hangUntil: ContinuousClock.Instant?

    static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    init(socket: Socket, remote: String, localPort: Int, router: Router, loop: EventLoop) {
        self.socket = socket
        self.remote = remote
        self.localPort = localPort
        self.router = router
        self.loop = loop
        self.parser = HTTPRequestParser(limits: loop.server.configuration.limits)
        socket.setNoDelay()
        socket.setNonBlocking()
    }

    private var server: HTTPServer { loop.server }

    // MARK: ownership

    /// The loop takes a connection epoll reported (false: not waiting in epoll).
    func take() -> Bool {
        owner.compareExchange(expected: Owner.epoll.rawValue, desired: Owner.loop.rawValue, ordering: .acquiring)
            .exchanged
    }

    var isClosed: Bool { owner.load(ordering: .acquiring) == Owner.closed.rawValue }

    /// Hands the connection back to epoll, armed for one event.
    private func park(forOutput: Bool) {
        owner.store(Owner.epoll.rawValue, ordering: .releasing)
        loop.arm(socket.fd, forOutput: forOutput)
    }

    func close() {
        socket.close()
        server.connectionClosed()
        owner.store(Owner.closed.rawValue, ordering: .releasing)
    }

    // MARK: turns

    /// The loop's turn after epoll reported the socket ready.
    func ready(buffer: UnsafeMutableRawBufferPointer) {
        switch phase {
        case .writing:
            guard flush() else { return park(forOutput: true) }
            phase = .serving
            advance()
        case .lingering(let until, var drained):
            while true {
                let count = socket.read(into: buffer)
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
                drained += max(0, count)
                if count <= 0 || drained >= 1 << 20 { return close() }
            }
            phase = .lingering(until: until, drained: drained)
            park(forOutput: false)
        case .serving:
            while true {
                let count = socket.read(into: buffer)
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
                if count < 0 { return close() }
                if count == 0 {
                    inputEnded = true
                    break
                }
                if !parser.isMidRequest { requestStart = .now }
                parser.append(UnsafeRawBufferPointer(rebasing: buffer[0 ..< count]))
                if count < buffer.count { break }
            }
            // A request still incomplete at its deadline is the sweep's (`checkDeadlines`).
            advance()
        }
    }

    /// Answers every complete request buffered, then waits for what comes next.
    private func advance() {
        do {
            requests: while !closeAfterOutput, let event = try parser.next() {
                switch event {
                case .continueExpected:
                    output += Connection.continueBytes
                case .request(let parsed):
                    let request = local(parsed)
                    let started = ContinuousClock.now
                    let response: HTTPResponse
                    if var preflight = Connection.cors(request, server.configuration) {
                        if !router.allowsCORS(for: request) {
                            preflight = .text("Cross-origin requests to this path are not allowed\n", status: 403)
                            preflight.allowsCORS = false
                        }
                        response = preflight
                    } else {
                        switch router.dispatch(request) {
                        case .answer(let answer):
                            if case .delay(let pause) = answer.fault {
                                owner.store(Owner.task.rawValue, ordering: .relaxed)
                                return loop.run { [self] in
                                    try? await Task.sleep(for: pause)
                                    if !queue(answer, to: request, started: started) { closeAfterOutput = true }
                                    advance()
                                }
                            }
                            response = answer
                        case .awaiting(let responder):
                            // Its handler awaits: a task on this loop, which serves the other
                            // connections meanwhile; the connection is the task's until it answers.
                            owner.store(Owner.task.rawValue, ordering: .relaxed)
                            return loop.run { [self] in
                                let response = await responder()
                                if case .delay(let pause) = response.fault { try? await Task.sleep(for: pause) }
                                if !queue(response, to: request, started: started) { closeAfterOutput = true }
                                advance()
                            }
                        }
                    }
                    if !queue(response, to: request, started: started) { closeAfterOutput = true }
                    // A long pipeline waits for the client to read before more is answered.
                    if output.count - written > 64 * 1024 && !flush() { break requests }
                }
            }
        } catch {
            return fail(status: error.status, message: error.message)
        }
        finishTurn()
    }

    /// Writes what it can, then parks the connection for its next event, or closes it.
    private func finishTurn() {
        guard flush() else {
            phase = .writing(since: .now)
            return park(forOutput: true)
        }
        if let until = hangUntil {
            hangUntil = nil
            phase = .lingering(until: until, drained: 0)
            return park(forOutput: false)
        }
        if closeAfterOutput || inputEnded { return close() }
        if parser.isMidRequest {
            if requestStart == nil { requestStart = .now }
        } else if server.isStopping {
            return close()
        }
        park(forOutput: false)
    }

    /// What the sweep does with a connection waiting in epoll whose deadline passed: the
    /// loop takes it first, so a task never meets it.
    func checkDeadlines(now: ContinuousClock.Instant, stopping: Bool) {
        guard owner.load(ordering: .acquiring) == Owner.epoll.rawValue else { return }
        switch phase {
        case .writing(let since):
            if since + server.requestTimeout <= now, take() { close() }
        case .lingering(let until, _):
            if until <= now, take() { close() }
        case .serving:
            if parser.isMidRequest {
                if let start = requestStart, start + server.requestTimeout <= now, take() {
                    fail(status: 408, message: "Request not received in time")
                }
            } else if stopping || idleSince + server.keepAliveTimeout <= now, take() {
                close()
            }
        }
    }

    /// Sends as much of `output` as the socket takes; true when all of it went.
    private func flush() -> Bool {
        while written < output.count {
            let count = output.withUnsafeBytes { raw in
                send(socket.fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return false }
                // The client went away: nothing more to say to it.
                closeAfterOutput = true
                output.removeAll(keepingCapacity: true)
                written = 0
                return true
            }
            written += count
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        written = 0
        return true
    }

    /// The request as this connection's handlers see it.
    private func local(_ parsed: HTTPRequest) -> HTTPRequest {
        var request = parsed
        request.remoteAddress = remote
        request.localPort = localPort
        return request
    }

    /// Queues the response to `request`; tells whether to keep the connection.
    private func queue(_ answer: HTTPResponse, to request: HTTPRequest, started: ContinuousClock.Instant) -> Bool {
        var response = answer
        let configuration = server.configuration
        switch response.fault {
        case .close?:
            configuration.logger.info(
                "\(request.method) \(request.target) fault: answer lost (connection closed) \(remote)")
            return false
        case .reset?:
            configuration.logger.info("\(request.method) \(request.target) fault: connection reset \(remote)")
            socket.setResetOnClose()
            output.removeAll()
            written = 0
            return false
        case .hang?:
            configuration.logger.info("\(request.method) \(request.target) fault: no answer \(remote)")
            hangUntil = .now + server.requestTimeout
            return false
        case .delay?, nil:
            break
        }
        if let origin = configuration.corsAllowOrigin, response.allowsCORS, request.headers.contains("Origin") {
            response.headers.set("Access-Control-Allow-Origin", origin)
            if origin != "*" { response.headers.add("Vary", "Origin") }
        }
        let keepAlive = request.keepAlive && !server.isStopping
        output += response.serialized(date: date.now(), keepAlive: keepAlive, includeBody: request.method != "HEAD")
        if configuration.logger.enabled(.info) {
            let elapsed = started.duration(to: .now)
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            configuration.logger.info(
                "\(request.method) \(request.target) \(response.status) \(Double(micros) / 1000)ms \(remote)")
        }
        requestStart = nil
        idleSince = .now
        return keepAlive
    }

    /// Sends an error with `Connection: close`, then lingers: reads and drops what the
    /// client still sends (up to 1 MiB, for half a second), so that it sees the response.
    private func fail(status: Int, message: String) {
        let response = HTTPResponse.json(["error": .string(message)], status: status)
        output += response.serialized(date: date.now(), keepAlive: false, includeBody: true)
        server.configuration.logger.info("- - \(status) \(message) \(remote)")
        if !flush() {
            // Not even the error fits: the client is not reading. Give up on it.
            return close()
        }
        _ = Glibc.shutdown(socket.fd, Int32(SHUT_WR))
        phase = .lingering(until: .now + .milliseconds(500), drained: 0)
        park(forOutput: false)
    }
}
