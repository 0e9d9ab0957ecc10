/// True for an absolute `http` or `https` URL with a host and no spaces or line breaks:
/// what a callback, return or redirect URL handed to the sandbox must be.
public func isAbsoluteHTTPURL(_ text: String) -> Bool {
    let lower = text.lowercased()
    guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else { return false }
    let authority = text.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    let host = authority.split(separator: "@").last.map(String.init) ?? ""
    return !host.isEmpty && !host.hasPrefix(":") && !text.contains(where: { $0 == " " || $0.isNewline })
}
