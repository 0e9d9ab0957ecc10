/// True for an absolute `http` or `https` URL with a host and no spaces or line breaks:
/// what a callback, return or redirect URL handed to the sandbox must be.
public func isAbsoluteHTTPURL(_ text: String) -> Bool {
    guard let schemeLength = ["http://", "https://"].first(where: { hasPrefixIgnoringASCIICase(text, $0) })?.utf8.count else { return false }
    let authority = text.utf8.dropFirst(schemeLength).prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
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

private func hasPrefixIgnoringASCIICase(_ text: String, _ lowercasePrefix: String) -> Bool {
    var bytes = text.utf8.makeIterator()
    for expected in lowercasePrefix.utf8 {
        guard let byte = bytes.next() else { return false }
        let lower = (UInt8(ascii: "A") ... UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
        if lower != expected { return false }
    }
    return true
}
