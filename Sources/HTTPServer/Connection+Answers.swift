#if canImport(Glibc)
import Glibc
#endif

/// What a connection answers before any route: a CORS preflight, a refused connection.
extension Connection {
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
}
