#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Locks
import Testing
import TestSupport
@testable import HTTPServer

/// A server on an ephemeral port with a few routes, stopped when the test ends.
final class RunningServer {
    let server: HTTPServer
    let port: Int
    let gate = Gate()
    let release = DispatchSemaphore(value: 0)
    /// Requests the slow routes (`GET /slow`, `POST /slow`, `POST /later`) have begun to handle.
    let entered = Locked(0)

    init(host: String = "127.0.0.1", configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.logger = Logger(level: .error)
        configure(&configuration)
        var router = Router()
        // X-Remote names the client's address and port: which connection a response came on.
        router.get("/hello") { request in
            var response = HTTPResponse.text("hello")
            response.headers.add("X-Remote", request.remoteAddress)
            return response
        }
        router.post("/echo") { request in
            var response = HTTPResponse(body: request.body)
            response.headers.add("Content-Type", request.headers["Content-Type"] ?? "application/octet-stream")
            response.headers.add("X-Remote", request.remoteAddress)
            return response
        }
        router.get("/whoami") { request in
            .text(request.basicCredentials.map { "\($0.user):\($0.password)" } ?? "anonymous")
        }
        router.get("/slow") { [entered] _ in
            entered.withLock { $0 += 1 }
            usleep(300_000)
            return .text("slow done")
        }
        // A route that writes through a call that blocks its thread (until the test releases
        // it): on a worker, awaited.
        router.post("/slow") { [release, entered] _ in
            entered.withLock { $0 += 1 }
            return try await onWorker {
                _ = release.wait(timeout: .now() + 30)
                return HTTPResponse.text("slow post done")
            }
        }
        // Awaits a resumption from another thread, as a write awaits its commit; echoes the body.
        router.post("/later") { [entered] request in
            entered.withLock { $0 += 1 }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) { continuation.resume() }
            }
            if request.body == Array("fail".utf8) { throw AwaitFailure() }
            return HTTPResponse(body: request.body)
        }
        // Awaits the test's gate: answers once the test opens it.
        router.post("/held") { [gate] request in
            await gate.pass()
            return HTTPResponse(body: request.body)
        }
        router.get("/big") { _ in HTTPResponse(body: [UInt8](repeating: UInt8(ascii: "b"), count: 512 * 1024)) }
        server = HTTPServer(configuration: configuration)
        port = try server.listen(host: host, port: 0, router: router)
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    deinit { server.stop(timeout: 1) }
}

struct AwaitFailure: Error {}

/// Handlers wait at it until the test opens it; it counts who is waiting.
final class Gate: Sendable {
    private let state = Locked((open: false, waiting: [CheckedContinuation<Void, Never>]()))

    var waitingCount: Int { state.withLock { $0.waiting.count } }

    func pass() async {
        await withCheckedContinuation { continuation in
            let go = state.withLock { state in
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if go { continuation.resume() }
        }
    }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}

@Suite struct HTTPServerTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let running = try RunningServer()
        let client = try running.client()
        for i in 0 ..< 20 {
            let response = try client.request("POST", "/echo", headers: [("Content-Type", "text/plain")], body: Array("n\(i)".utf8))
            #expect(response.status == 200)
            #expect(response.text == "n\(i)")
            #expect(response["Connection"] == "keep-alive")
            #expect(response["Content-Length"] == "\(i < 10 ? 2 : 3)")
            #expect(response["Date"]?.hasSuffix("GMT") == true)
        }
    }

    @Test func connectionCloseIsHonoured() throws {
        let running = try RunningServer()
        let client = try running.client()
        let response = try client.request("GET", "/hello", headers: [("Connection", "close")])
        #expect(response.status == 200)
        #expect(response["Connection"] == "close")
        #expect(client.isClosedByServer())
    }

    @Test func http10ClosesAfterTheResponse() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.send("GET /hello HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "hello")
        #expect(client.isClosedByServer())
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let running = try RunningServer()
        let client = try running.client()
        var batch = ""
        for i in 0 ..< 10 {
            batch += "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(String(i).count)\r\n\r\n\(i)"
        }
        try client.send(batch)
        for i in 0 ..< 10 {
            #expect(try client.readResponse().text == "\(i)")
        }
    }

    @Test func expectContinueWithA200KiBBody() throws {
        let running = try RunningServer()
        let client = try running.client()
        let body = [UInt8](repeating: UInt8(ascii: "j"), count: 200 * 1024)
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send(body)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body.count == body.count)
    }

    @Test func expectContinueForATooLargeBodyIsRefusedAt413() throws {
        let running = try RunningServer { $0.limits.maxBodyBytes = 1000 }
        let client = try running.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response["Connection"] == "close")
    }

    @Test func chunkedRequestBody() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "Wikipedia")
    }

    @Test func headHasLengthButNoBody() throws {
        let running = try RunningServer()
        let client = try running.client()
        let response = try client.request("HEAD", "/hello")
        #expect(response.status == 200)
        #expect(response["Content-Length"] == "5")
        #expect(response.body.isEmpty)
        // The connection is still in sync: the next response is read whole.
        #expect(try client.request("GET", "/hello").text == "hello")
    }

    @Test(arguments: [
        ("BLAH\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400),
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 17000) + "\r\n\r\n", 431),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413),
        ("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
        ("\u{0}\u{1}\u{2}garbage\u{ff}\r\n\r\n", 400),
        // Smuggling attempts: lengths that disagree, codings that hide "chunked".
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 30\r\n\r\nabc", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        // Negative, signed and overlong lengths.
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1FFFFF\r\nabc\r\n", 413),
        // NUL bytes and bad UTF-8 in the head.
        ("GET /a\u{0}b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-H: v\r\n", count: 3000) + "\r\n", 431),
    ])
    func malformedInputGetsAnErrorAndACloseAndTheServerGoesOn(raw: String, status: Int) throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.send(raw)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(response["Connection"] == "close")
        #expect(response.json["error"]?.stringValue?.isEmpty == false)
        #expect(client.isClosedByServer())
        #expect(try running.client().request("GET", "/hello").status == 200)
    }

    @Test func requestsWrittenOneByteAtATimeAreAnswered() throws {
        let running = try RunningServer()
        let client = try running.client()
        let raw = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nworld"
        for byte in raw.utf8 { try client.send([byte]) }
        #expect(try client.readResponse().text == "hello")
        #expect(try client.readResponse().text == "world")
    }

    @Test func stalledRequestGets408() throws {
        let running = try RunningServer { $0.requestTimeout = 0.3 }
        let client = try running.client()
        try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n") // never finished
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(client.isClosedByServer())
    }

    @Test func slowlorisDripFeedIsCutOff() throws {
        let running = try RunningServer { $0.requestTimeout = 0.5 }
        let client = try running.client()
        try client.send("GET /hello HTTP/1.1\r\n")
        var cutOff = false
        for i in 0 ..< 20 {
            usleep(100_000)
            if (try? client.send("X-\(i): y\r\n")) == nil { cutOff = true; break }
        }
        let response = try? client.readResponse()
        #expect(response?.status == 408 || cutOff)
    }

    @Test func idleKeepAliveConnectionIsClosedQuietly() throws {
        let running = try RunningServer { $0.keepAliveTimeout = 0.2 }
        let client = try running.client()
        #expect(try client.request("GET", "/hello").status == 200)
        #expect(client.isClosedByServer())
    }

    @Test func connectionCapAnswers503() throws {
        let running = try RunningServer { $0.maxConnections = 2 }
        let a = try running.client(), b = try running.client()
        #expect(try a.request("GET", "/hello").status == 200)
        #expect(try b.request("GET", "/hello").status == 200)
        let c = try running.client()
        let refused = try c.readResponse()
        #expect(refused.status == 503)
        _ = (a, b)
    }

    @Test func corsPreflightAndHeader() throws {
        let running = try RunningServer()
        let client = try running.client()
        let preflight = try client.request("OPTIONS", "/echo", headers: [
            ("Origin", "http://demo.local"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type, authorization"),
        ])
        #expect(preflight.status == 204)
        #expect(preflight["Access-Control-Allow-Origin"] == "*")
        #expect(preflight["Access-Control-Allow-Methods"]?.contains("POST") == true)
        #expect(preflight["Access-Control-Allow-Headers"] == "content-type, authorization")
        let simple = try client.request("GET", "/hello", headers: [("Origin", "http://demo.local")])
        #expect(simple["Access-Control-Allow-Origin"] == "*")
        #expect(try client.request("GET", "/hello")["Access-Control-Allow-Origin"] == nil)
    }

    @Test func localhostListensOnBothLoopbacks() throws {
        let running = try RunningServer(host: "localhost")
        #expect(try TestClient(port: running.port, host: "127.0.0.1").request("GET", "/hello").status == 200)
        #expect(try TestClient(port: running.port, host: "::1").request("GET", "/hello").status == 200)
    }

    // MARK: the event loop and its workers

    /// A route whose handler blocks (on a worker, `onWorker`) holds up neither the loop nor
    /// the other clients, whichever loop they landed on: they are answered while it blocks.
    @Test func aWaitingPOSTHoldsUpNoGET() throws {
        let running = try RunningServer()
        let waiting = try running.client()
        try waiting.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(waitUntil { running.entered.withLock { $0 } == 1 })
        for _ in 0 ..< 2 * HTTPServer.loopCount {
            #expect(try running.client().request("GET", "/hello").text == "hello")
        }
        running.release.signal()
        #expect(try waiting.readResponse().text == "slow post done")
    }

    /// Reads answered on the loop and writes awaited in a task, pipelined on one connection,
    /// come back in the order they were sent.
    @Test func pipelinedGETsAndPOSTsKeepTheirOrder() throws {
        let running = try RunningServer()
        let client = try running.client()
        var batch = ""
        for i in 0 ..< 6 {
            batch += i % 2 == 0 ? "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                : "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(String(i).count)\r\n\r\n\(i)"
        }
        try client.send(batch)
        for i in 0 ..< 6 {
            #expect(try client.readResponse().text == (i % 2 == 0 ? "hello" : "\(i)"))
        }
    }

    /// A long pipeline of large responses is answered as the client reads: the connection
    /// stops answering while its output is stuck and resumes when the socket drains, every
    /// response whole and in order.
    @Test func aLongPipelineOfLargeResponsesResumesAsTheClientReads() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.send(String(repeating: "GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n", count: 30))
        for _ in 0 ..< 30 {
            let big = try client.readResponse()
            #expect(big.status == 200 && big.body.count == 512 * 1024)
            #expect(try client.readResponse().text == "hello")
        }
    }

    /// A client that sends its requests and closes its side still gets every answer.
    @Test func requestsFollowedByEndOfInputAreAnswered() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        _ = Glibc.shutdown(client.fd, Int32(SHUT_WR))
        #expect(try client.readResponse().text == "hello")
        #expect(try client.readResponse().text == "ok")
        #expect(client.isClosedByServer())
    }

    /// A client that asks for large responses and never reads them fills the socket: once the
    /// request timeout passes with the output stuck, the connection is closed (what it then
    /// reads ends well short of the 30 MiB it asked for), while other clients are served.
    @Test func aClientThatDoesNotReadIsCutOff() throws {
        let running = try RunningServer { $0.requestTimeout = 0.5 }
        let stuck = try running.client()
        // 30 MiB asked for: more than both sockets' buffers hold.
        try stuck.send(String(repeating: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", count: 60))
        let other = try running.client()
        #expect(try other.request("GET", "/hello").status == 200)
        // Cut off once its write has waited past the timeout: only the other client is left.
        #expect(waitUntil(seconds: 10) { running.server.openConnections.load(ordering: .relaxed) == 1 })
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = recv(stuck.fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += count
        }
        #expect(received < 60 * 512 * 1024)
        #expect(try running.client().request("GET", "/hello").status == 200)
    }

    /// A handler that awaits (as the creating POSTs await their commit) holds no thread: while
    /// eight wait at once (all of them, not one after another), the loops serve GETs; once the
    /// wait ends, each answers on its own kept-alive connection. No clock in it: a handler that
    /// held its loop would leave a GET unanswered (the client's read times out).
    @Test func awaitingPOSTsHoldUpNothing() throws {
        let running = try RunningServer()
        let waiting = try (0 ..< 8).map { i -> TestClient in
            let client = try running.client()
            try client.send("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: \(String(i).count)\r\n\r\n\(i)")
            return client
        }
        #expect(waitUntil { running.gate.waitingCount == 8 })
        for _ in 0 ..< 2 * HTTPServer.loopCount {
            #expect(try running.client().request("GET", "/hello").text == "hello")
        }
        running.gate.open()
        for (i, client) in waiting.enumerated() {
            let response = try client.readResponse()
            #expect(response.status == 200 && response.text == "\(i)")
            #expect(response["Connection"] == "keep-alive")
        }
    }

    /// Awaiting POSTs pipelined between GETs and a worker's POST keep their order, and one
    /// whose handler throws after its await answers 500 with the connection still served.
    @Test func pipelinedAwaitingPOSTsKeepTheirOrder() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na"
            + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb"
            + "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nfail"
            + "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nc"
            + "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "hello")
        #expect(try client.readResponse().text == "a")
        #expect(try client.readResponse().text == "b")
        let failed = try client.readResponse()
        #expect(failed.status == 500)
        // The engine's default answer says nothing of the error (the sandbox logs it).
        #expect(failed.text == #"{"error":"Internal error"}"#)
        #expect(try client.readResponse().text == "c")
        #expect(try client.readResponse().text == "hello")
        #expect(try client.request("GET", "/hello").status == 200)
    }

    /// A request in flight when the server stops is answered (with `Connection: close`):
    /// one on a worker, and one whose handler awaits.
    @Test(arguments: [("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", "slow done"),
                      ("POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok", "ok")])
    func gracefulStopFinishesTheRequestInFlight(request: String, answer: String) throws {
        let running = try RunningServer()
        let busy = try running.client()
        let idle = try running.client()
        #expect(try idle.request("GET", "/hello").status == 200)
        try busy.send(request)
        #expect(waitUntil { running.entered.withLock { $0 } == 1 })
        running.server.stop(timeout: 2)
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.text == answer)
        #expect(response["Connection"] == "close")
        #expect(idle.isClosedByServer())
        #expect(throws: (any Error).self) { try running.client() }
    }
}
