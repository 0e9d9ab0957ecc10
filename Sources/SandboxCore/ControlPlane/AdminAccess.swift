import HTTPServer

/// Who may use the control plane and the dashboard (docs/team.md): only
/// by the names the sandbox serves (no DNS rebinding), never by another site's page (no
/// cross-site writes, no CORS), and with the admin token when one is set.
public struct AdminAccess: Sendable {
    /// Required on every `/_sandbox/` call but `GET /_sandbox/health` and a delivery to an inbox;
    /// nil: none (loopback).
    public var token: String?
    /// Names the control plane answers to besides `localhost` and IP addresses (`--public-host`).
    public var publicHosts: [String] = []
    /// The address the sandbox listens on, when it is a name.
    public var boundHost: String?

    public init(token: String? = nil, publicHosts: [String] = [], boundHost: String? = nil) {
        self.token = token
        self.publicHosts = publicHosts.map(AdminAccess.normalized)
        self.boundHost = boundHost.map(AdminAccess.normalized)
    }

    /// Whether `host` binds only loopback addresses (where no token is needed).
    public static func isLoopback(_ host: String) -> Bool {
        let h = normalized(host)
        return h == "localhost" || h == "::1" || (h.hasPrefix("127.") && isIPv4(h))
    }

    /// The control plane's refusal of `request`, or nil to let it through.
    func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        for name in ["Host", "X-Forwarded-Host"] {
            guard let value = name == "Host" ? request.headers["Host"] : request.headers.firstElement(name) else {
                continue
            }
            let host = AdminAccess.hostName(value)
            guard serves(host) else {
                return ControlPlaneError.forbidden(
                    "the control plane does not answer to the name '\(host)' (\(name)); to reach it by that name, "
                    + "start the sandbox with --public-host \(host)").response
            }
        }
        if !request.isSafeMethod && request.isCrossOrigin {
            return ControlPlaneError.forbidden(
                "cross-site request refused: another site's page may not change the sandbox (Origin: "
                    + "\(request.headers["Origin"] ?? "-"), "
                    + "Sec-Fetch-Site: \(request.headers["Sec-Fetch-Site"] ?? "-"))"
            ).response
        }
        if let token, !isHealthCheck(request), !Self.isInboxDelivery(request) {
            let given = request.bearerToken ?? request.basicCredentials?.password
            guard let given, constantTimeEquals(given.utf8, token.utf8) else {
                return ControlPlaneError.unauthorized(
                    given == nil ? "this sandbox's control plane needs its admin token: Authorization: Bearer <token>, "
                        + "or Basic with the token as the password (the start-up banner shows it)"
                        : "the admin token is not this sandbox's").response
            }
        }
        return nil
    }

    /// A callback posted to an inbox: it comes from a provider's sender (this sandbox's own, or
    /// another), which has no token; what it delivers is read back only with the token.
    static func isInboxDelivery(_ request: HTTPRequest) -> Bool {
        guard request.method == "POST" || request.method == "PUT" || request.method == "PATCH" else { return false }
        let prefix = request.mountPrefix + "/inbox/"
        return request.path.hasPrefix(prefix) && !request.path.dropFirst(prefix.count).contains("/")
    }

    private func isHealthCheck(_ request: HTTPRequest) -> Bool {
        (request.method == "GET" || request.method == "HEAD") && request.path == request.mountPrefix + "/health"
    }

    /// localhost (and `*.localhost`, which browsers resolve to loopback), any IP address (a
    /// rebinding page needs a name it controls), the bound name and the public hosts.
    private func serves(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || AdminAccess.isIPv4(host) || host.contains(":")
            || host == boundHost || publicHosts.contains(host)
    }

    /// The host of a `Host` value: no port, no brackets, lower case, no trailing dot.
    static func hostName(_ value: String) -> String {
        var text = value.trimmingASCIISpaces()
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            return String(text[text.index(after: text.startIndex) ..< end]).lowercased()
        }
        if let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isASCIIDigit) {
            text = String(text[..<colon])
        }
        return normalized(text)
    }

    static func normalized(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        while h.hasSuffix(".") { h.removeLast() }
        return h
    }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { p in
                !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && (Int(p) ?? 256) <= 255
            }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
