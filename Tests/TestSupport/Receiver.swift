#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization

/// A merchant's endpoint for callbacks and webhooks: a real HTTP listener on 127.0.0.1
/// that records what arrives and answers with the statuses it is told to.
public final class Receiver: Sendable {
    public struct Received: Sendable {
        public let path: String
        public let headers: HTTPHeaders
        public let body: [UInt8]
        public var json: JSON { (try? JSON.parse(body)) ?? .null }
    }

    private let server: HTTPServer
    public let port: Int
    private final class Log: Sendable {
        let state = Mutex<(received: [Received], statuses: [Int])>(([], []))
    }

    private let log = Log()

    /// `statuses` are answered in order; after them, 200.
    public init(statuses: [Int] = []) throws {
        var configuration = ServerConfiguration()
        configuration.logger = Logger(level: .error)
        server = HTTPServer(configuration: configuration)
        log.state.withLock { $0.statuses = statuses }
        var router = Router()
        let log = self.log
        let handler: Handler = { request in
            let status = log.state.withLock { s -> Int in
                s.received.append(Received(path: request.target, headers: request.headers, body: request.body))
                return s.statuses.isEmpty ? 200 : s.statuses.removeFirst()
            }
            return .text(status == 200 ? "ok" : "nope", status: status)
        }
        router.post("/cb") { try handler($0) }
        router.post("/cb/:name") { try handler($0) }
        port = try server.listen(host: "127.0.0.1", port: 0, router: router)
    }

    public var url: String { "http://127.0.0.1:\(port)/cb" }

    public var received: [Received] { log.state.withLock { $0.received } }

    /// Waits (up to `seconds`) until at least `count` requests have arrived.
    @discardableResult
    public func wait(for count: Int, seconds: Double = 5) -> [Received] {
        waitUntil(seconds: seconds) { received.count >= count }
        return received
    }

    deinit { server.stop(timeout: 1) }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
public func refusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    close(fd)
    return Int(UInt16(bigEndian: address.sin_port))
}
