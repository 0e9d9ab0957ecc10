/// True for an absolute `http` or `https` URL with a host and no spaces or line breaks:
/// what a callback, return or redirect URL handed to the sandbox must be.
public func isAbsoluteHTTPURL(_ text: String) -> Bool {
    guard let scheme = ["http://", "https://"].first(where: { scheme in
        text.utf8.prefix(scheme.utf8.count).elementsEqual(scheme.utf8) { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
    }) else { return false }
    let authority = text.utf8.dropFirst(scheme.utf8.count).prefix {
        $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#")
    }
    guard let host = authority.split(separator: UInt8(ascii: "@")).last else { return false }
    return host.first != UInt8(ascii: ":") && !containsSpaceOrLineBreak(text)
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
