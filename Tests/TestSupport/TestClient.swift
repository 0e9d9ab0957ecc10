#if canImport(Glibc)
import Glibc
#endif
import HTTPServer

public struct TestClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

public struct TestResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public subscript(header: String) -> String? { headers[header] }
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON (`.null` if it is not JSON, so assertions fail readably).
    public var json: JSON { (try? JSON.parse(body)) ?? .null }
}

/// A blocking HTTP/1.1 client on a raw socket, for tests that need control over the
/// bytes: keep-alive reuse, pipelining, partial writes, malformed input.
public final class TestClient {
    public let fd: Int32
    private var buffer: [UInt8] = []

    public init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 10) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError("socket failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        // No close here: every property is set, so `deinit` runs (and closes) when this
        // throws. Closing here as well closed the descriptor twice, the second time after
        // another thread had been given the number (a test's socket, closed under it).
        guard rc == 0 else { throw TestClientError("connect to \(host):\(port) failed: errno \(errno)") }
    }

    deinit { close(fd) }

    /// Sends raw bytes as they are.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestClientError("send failed: errno \(errno)") }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends a request and reads its response.
    @discardableResult
    public func request(_ method: String, _ path: String, headers: [(String, String)] = [],
                        body: [UInt8]? = nil, json: JSON? = nil) throws -> TestResponse {
        var bytes = json?.serializedBytes() ?? body ?? []
        // Host: localhost unless the test gives its own.
        let hasHost = headers.contains { $0.0.lowercased() == "host" }
        var head = "\(method) \(path) HTTP/1.1\r\n" + (hasHost ? "" : "Host: localhost\r\n")
        var hasType = false
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
            if name.lowercased() == "content-type" { hasType = true }
        }
        if json != nil && !hasType { head += "Content-Type: application/json\r\n" }
        if !bytes.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(bytes.count)\r\n" }
        head += "\r\n"
        bytes.insert(contentsOf: Array(head.utf8), at: 0)
        try send(bytes)
        return try readResponse(method: method)
    }

    /// Reads one response (a `100 Continue` is returned as one too).
    public func readResponse(method: String = "GET") throws -> TestResponse {
        var headEnd: Int?
        while true {
            if let i = find([13, 10, 13, 10]) { headEnd = i; break }
            try fill()
        }
        guard let end = headEnd else { throw TestClientError("no head") }
        let head = String(decoding: buffer[0 ..< end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClientError("bad status line: \(head)") }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingASCIISpaces())
        }
        var body: [UInt8] = []
        if method != "HEAD" && status >= 200 && status != 204 && status != 304 {
            if let lengthText = headers["Content-Length"], let length = Int(lengthText) {
                while buffer.count < length { try fill() }
                body = Array(buffer[0 ..< length])
                buffer.removeFirst(length)
            } else {
                while (try? fill()) != nil {}
                body = buffer
                buffer = []
            }
        }
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// True when the server closed the connection (reads end of stream) within the timeout.
    public func isClosedByServer() -> Bool {
        while true {
            var scratch = [UInt8](repeating: 0, count: 4096)
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// True when something (an answer, or the end) has arrived and waits to be read: looks
    /// without waiting and without consuming it.
    public var hasArrived: Bool {
        if !buffer.isEmpty { return true }
        var scratch: UInt8 = 0
        return recv(fd, &scratch, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) >= 0
    }

    private func fill() throws {
        var scratch = [UInt8](repeating: 0, count: 65536)
        let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw TestClientError(n == 0 ? "connection closed" : "recv failed: errno \(errno)") }
        buffer.append(contentsOf: scratch[0 ..< n])
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0 ... buffer.count - needle.count where buffer[i] == needle[0] && Array(buffer[i ..< i + needle.count]) == needle {
            return i
        }
        return nil
    }
}
