/// True for an absolute `http` or `https` URL with RFC 3986's authority (user information, a
/// host name or bracketed IPv6 address, a port) and no spaces or line breaks: what a callback,
/// return or redirect URL handed to the sandbox must be. The OpenAPI documents state this rule
/// as a pattern (`absoluteHTTPURLPattern`).
public func isAbsoluteHTTPURL(_ text: String) -> Bool {
    let bytes = text.utf8
    guard let scheme = ["http://", "https://"].first(where: { scheme in
        bytes.prefix(scheme.utf8.count).elementsEqual(scheme.utf8) { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
    }), !containsSpaceOrLineBreak(text) else { return false }
    let authority = bytes.dropFirst(scheme.utf8.count).prefix { !"/?#".utf8.contains($0) }
    var hostAndPort = authority
    if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
        guard isURLComponent(authority[..<at], also: ":@") else { return false }
        hostAndPort = authority[authority.index(after: at)...]
    }
    let host: Substring.UTF8View.SubSequence
    if hostAndPort.first == UInt8(ascii: "[") {
        guard let close = hostAndPort.firstIndex(of: UInt8(ascii: "]")) else { return false }
        host = hostAndPort[...close]
        guard isIPv6(host.dropFirst().dropLast()) else { return false }
    } else {
        host = hostAndPort.prefix { $0 != UInt8(ascii: ":") }
        guard !host.isEmpty, isURLComponent(host, also: "") else { return false }
    }
    let port = hostAndPort.dropFirst(host.count)
    return port.isEmpty || (port.first == UInt8(ascii: ":") && port.dropFirst().allSatisfy { $0 >= 48 && $0 <= 57 })
}

/// `absoluteHTTPURL`'s rule as an ECMAScript pattern, for the OpenAPI documents.
public let absoluteHTTPURLPattern: String = {
    let unreserved = "A-Za-z0-9\\-._~!$&'()*+,;="
    let hex = "[0-9A-Fa-f]{1,4}"
    let ipv6 = ["(\(hex):){7}\(hex)", "(\(hex):){1,7}:", "(\(hex):){1,6}:\(hex)", "(\(hex):){1,5}(:\(hex)){1,2}",
                "(\(hex):){1,4}(:\(hex)){1,3}", "(\(hex):){1,3}(:\(hex)){1,4}", "(\(hex):){1,2}(:\(hex)){1,5}",
                "\(hex):(:\(hex)){1,6}", ":((:\(hex)){1,7}|:)"].joined(separator: "|")
    let space = " \\n\\r\\u000b\\u000c\\u0085\\u2028\\u2029"
    return "^[Hh][Tt][Tt][Pp][Ss]?://(([\(unreserved):@]|%[0-9A-Fa-f]{2})*@)?"
        + "(([\(unreserved)]|%[0-9A-Fa-f]{2})+|\\[(\(ipv6))\\])(:[0-9]*)?([/?#][^\(space)]*)?$"
}()

/// RFC 3986's unreserved and sub-delimiter characters, `also`, and `%` with two hex digits.
private func isURLComponent(_ bytes: Substring.UTF8View.SubSequence, also: String) -> Bool {
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%") {
            let digits = bytes[bytes.index(after: index)...].prefix(2)
            guard digits.count == 2, digits.allSatisfy(isHexDigit) else { return false }
            index = bytes.index(index, offsetBy: 3)
            continue
        }
        let allowed = (byte >= 48 && byte <= 57) || ((byte | 0x20) >= 97 && (byte | 0x20) <= 122)
            || "-._~!$&'()*+,;=".utf8.contains(byte) || also.utf8.contains(byte)
        guard allowed else { return false }
        index = bytes.index(after: index)
    }
    return true
}

/// Eight groups of 1–4 hex digits, or fewer around one `::` (no embedded IPv4, no zone).
private func isIPv6(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
    let text = Substring(bytes)
    let halves = text.split(separator: "::", omittingEmptySubsequences: false)
    func groups(_ half: Substring) -> [Substring]? {
        if half.isEmpty { return [] }
        let parts = half.split(separator: ":", omittingEmptySubsequences: false)
        return parts.allSatisfy { (1...4).contains($0.count) && $0.utf8.allSatisfy(isHexDigit) } ? parts : nil
    }
    switch halves.count {
    case 1: return groups(text)?.count == 8
    case 2:
        guard let left = groups(halves[0]), let right = groups(halves[1]) else { return false }
        return left.count + right.count <= 7
    default: return false
    }
}

private func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= 48 && byte <= 57) || ((byte | 0x20) >= 97 && (byte | 0x20) <= 102)
}

/// True if `text` has a space or any of the characters Swift counts as a line break.
public func containsSpaceOrLineBreak(_ text: String) -> Bool {
    text.unicodeScalars.contains { scalar in
        switch scalar.value {
        case 0x20, 0x0A ... 0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
