#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed socket call: which call, and errno.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let code: Int32

    init(_ call: String, code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// A thin wrapper over a socket file descriptor. It does not own the descriptor's
/// lifetime: whoever opened it calls `close()` once.
struct Socket: Sendable {
    let fd: Int32

    /// Opens a listening socket on a numeric address ("127.0.0.1", "::1", "0.0.0.0", "::").
    static func listen(address: String, port: UInt16, backlog: Int32 = 1024) throws -> Socket {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Socket.streamType
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(address, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw SocketError("getaddrinfo(\(address))", code: rc == EAI_SYSTEM ? errno : EINVAL)
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Socket.streamType, 0)
        guard fd >= 0 else { throw SocketError("socket") }
        let sock = Socket(fd: fd)
        do {
            try sock.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            if info.pointee.ai_family == AF_INET6 {
                // "::" listens dual-stack; a specific v6 address only on v6.
                try sock.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, address == "::" ? 0 : 1)
            }
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                throw SocketError("bind(\(address):\(port))")
            }
            guard Glibc.listen(fd, backlog) == 0 else { throw SocketError("listen") }
        } catch {
            sock.close()
            throw error
        }
        return sock
    }

    /// Waits for a connection. Nil when the listening socket was shut down.
    func accept() throws -> (Socket, String)? {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
            }
            if client >= 0 { return (Socket(fd: client), Socket.describe(storage)) }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EINVAL, EBADF: return nil
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: back off rather than spin.
                usleep(10_000)
                continue
            default: throw SocketError("accept")
            }
        }
    }

    var localPort: Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Socket.port(of: storage)
    }

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws {
        var v = value
        guard setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketError("setsockopt(\(name))")
        }
    }

    func setNoDelay() { try? setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1) }

    /// Makes the next close send a reset (RST) instead of an orderly end (FIN).
    func setResetOnClose() {
        var value = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
    }

    /// Makes reads and writes return EAGAIN instead of waiting (for the event loop).
    func setNonBlocking() { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }

    /// Reads what is there; 0 at end of stream, -1 on error.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Writes every byte (one `send` in the usual case), never raising SIGPIPE.
    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SocketError("send")
                }
                offset += n
            }
        }
    }

    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    func close() { _ = Glibc.close(fd) }
}
