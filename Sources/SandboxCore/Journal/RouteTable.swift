import HTTPServer

/// A route as a user names one (a fault rule's, a verification's): `POST /api/v1/x`, the method
/// in any case (ASCII), a path from `/` whose empty segments do not count, and a parameter as
/// `{name}` or `:name` under any name. Two names are one route when their keys are equal; nil
/// for text that is no method and path.
public func routeKey(_ route: String) -> [String]? {
    let parts = route.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("/") else { return nil }
    let method = String(decoding: parts[0].utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
    let segments = parts[1].split(separator: "/")
    return [method] + segments.map { $0.hasPrefix("{") || $0.hasPrefix(":") ? "{}" : String($0) }
}

/// A provider's routes as its document writes them ("GET /api/paypal/status/{paymentId}"),
/// for naming the route a journaled request took (off the request path: the journal's flush
/// asks).
struct RouteTable: Sendable {
    private struct Entry: Sendable {
        let method: String
        /// nil: a `{parameter}`, with its name in `names`.
        let segments: [String?]
        let names: [String?]
        let route: String
    }

    private let entries: [Entry]

    /// From a router's table ("POST /api/v1/:id").
    init(_ table: [String]) {
        entries = table.compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            let raw = parts[1].split(separator: "/").map(String.init)
            let names = raw.map { $0.hasPrefix(":") ? String($0.dropFirst()) : nil }
            let documented = raw.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }
            return Entry(method: parts[0], segments: zip(raw, names).map { $1 == nil ? $0 : nil }, names: names,
                         route: parts[0] + " /" + documented.joined(separator: "/"))
        }
    }

    /// The documented route of a request (`segments`: its path below the provider's mount,
    /// decoded) and its path parameters; a literal route wins over a parameter's.
    func match(method: String, segments: [String]) -> (route: String, parameters: [String: String])? {
        let method = method == "HEAD" ? "GET" : method
        var best: (Entry, Int)?
        for entry in entries where entry.method == method && entry.segments.count == segments.count {
            guard zip(entry.segments, segments).allSatisfy({ $0 == nil || $0 == $1 }) else { continue }
            let literals = entry.segments.count { $0 != nil }
            if best == nil || literals > (best?.1 ?? 0) { best = (entry, literals) }
        }
        guard let (entry, _) = best else { return nil }
        var parameters: [String: String] = [:]
        for (name, value) in zip(entry.names, segments) {
            if let name { parameters[name] = value }
        }
        return (entry.route, parameters)
    }

    /// Every route, documented form.
    var routes: [String] { entries.map(\.route) }
}
