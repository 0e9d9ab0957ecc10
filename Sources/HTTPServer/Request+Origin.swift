extension HTTPRequest {
    /// Whether a browser marks this request as sent by a page of another origin: its
    /// `Sec-Fetch-Site` is `cross-site` or `same-site`, or (from a browser that sends no
    /// `Sec-Fetch-Site`) its `Origin` is not the scheme, host and port it was sent to (as
    /// Go's `CrossOriginProtection` decides). curl and server-side clients send neither
    /// header: never cross-site.
    public var isCrossOrigin: Bool {
        if let site = headers["Sec-Fetch-Site"]?.lowercased() {
            return site != "same-origin" && site != "none"
        }
        guard let origin = headers["Origin"] else { return false }
        return origin.lowercased() != baseURL.lowercased()
    }

    /// The client's address without its port (`[::1]:5000` → `::1`), IPv4 in IPv6 as IPv4
    /// (`::ffff:10.0.0.1` → `10.0.0.1`).
    public var remoteHost: String {
        var host = remoteAddress
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex) ..< end])
        } else if let colon = host.lastIndex(of: ":"), host.filter({ $0 == ":" }).count == 1 {
            host = String(host[..<colon])
        }
        return host.hasPrefix("::ffff:") ? String(host.dropFirst(7)) : host
    }

    /// GET, HEAD and OPTIONS change nothing (by HTTP's rules, and here by how routes run).
    public var isSafeMethod: Bool { method == "GET" || method == "HEAD" || method == "OPTIONS" }
}

/// Compares two byte sequences in time that depends on their lengths only: every byte is
/// looked at whatever differs first (for secrets: a token, a password).
public func constantTimeEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt8, B.Element == UInt8 {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    var i = a.startIndex, j = b.startIndex
    // Walk the longer one whole, comparing against the other while it lasts.
    for _ in 0 ..< max(a.count, b.count) {
        let x = i < a.endIndex ? a[i] : 0
        let y = j < b.endIndex ? b[j] : 0
        difference |= x ^ y
        if i < a.endIndex { i = a.index(after: i) }
        if j < b.endIndex { j = b.index(after: j) }
    }
    return difference == 0
}
