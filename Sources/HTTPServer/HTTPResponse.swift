/// What a connection does with an answer that carries a fault.
public enum ConnectionFault: Sendable, Equatable {
    /// Sends it after this long, holding no thread meanwhile.
    case delay(Duration)
    /// Sends nothing of it and closes the connection (the request was carried out).
    case close
    /// Sends nothing and resets the connection (RST).
    case reset
    /// Sends nothing and keeps the connection open until the request timeout, then closes it.
    case hang
}

/// The fault a request met: the rule (nil for the `X-PaySandbox-Fault` header) and its kind.
public struct FaultMark: Sendable, Equatable {
    public let rule: Int?
    public let kind: String

    public init(rule: Int?, kind: String) {
        self.rule = rule
        self.kind = kind
    }
}

/// A response a handler returns. The connection adds `Date`, `Content-Length` and
/// `Connection`; a handler sets status, content headers and the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// False for answers that browsers of other origins may not read: no
    /// `Access-Control-Allow-Origin` is added to them, whatever `--cors-origin` says.
    public var allowsCORS = true
    /// How the connection misbehaves instead of (or before) sending this answer: faults a
    /// test asks for (`/_sandbox/faults`).
    public var fault: ConnectionFault?
    /// Which fault rule touched this answer (for the request journal); never sent.
    public var faultMark: FaultMark?

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSON, status: Int = 200) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: value.serializedBytes())
    }

    public static func html(_ text: String, status: Int = 200) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "text/html; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: Array(text.utf8))
    }

    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: Array(text.utf8))
    }

    public static func redirect(to location: String, status: Int = 302) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Location", location)
        headers.add("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: Array("Redirecting to \(location)".utf8))
    }

    /// The bytes on the wire: head and body in one buffer, so one `send` writes both.
    func serialized(date: String, keepAlive: Bool, includeBody: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + body.count)
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        bytes.append(contentsOf: String(status).utf8)
        bytes.append(32)
        bytes.append(contentsOf: HTTPResponse.reasonPhrase(status).utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        for (name, value) in headers {
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        bytes.append(contentsOf: "Date: ".utf8)
        bytes.append(contentsOf: date.utf8)
        let hasBody = status >= 200 && status != 204 && status != 304
        if hasBody {
            bytes.append(contentsOf: "\r\nContent-Length: ".utf8)
            bytes.append(contentsOf: String(body.count).utf8)
        }
        bytes.append(
            contentsOf: (keepAlive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n").utf8)
        if includeBody && hasBody {
            bytes.append(contentsOf: body)
        }
        return bytes
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

/// Errors a handler throws that know their own response (each provider's error enum).
public protocol HTTPResponseConvertible: Error {
    var response: HTTPResponse { get }
}
