/// A complete request as the parser produced it, plus what the connection and the
/// router add (where it came from, the route's parameters, the mount it matched under).
public struct HTTPRequest: Sendable {
    public enum Version: String, Sendable {
        case http10 = "HTTP/1.0"
        case http11 = "HTTP/1.1"
    }

    public var method: String
    /// The request target as sent: path and query, still percent-encoded.
    public var target: String
    public var version: Version
    public var headers: HTTPHeaders
    public var body: [UInt8]

    /// Filled in by the connection.
    public var remoteAddress: String = ""
    public var localPort: Int = 0
    /// Filled in by the router: `:name` segments of the matched pattern, decoded.
    public var parameters: [String: String] = [:]
    /// Filled in by the router: the mount prefix the route matched under ("" on a
    /// provider's dedicated port, "/paytomat" on the main port).
    public var mountPrefix: String = ""

    public init(method: String, target: String, version: Version = .http11,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The path part of the target, still percent-encoded.
    /// (Searched as bytes: `String.firstIndex(of:)` compares Characters, and these two had
    /// taken a tenth of a cheap GET's time.)
    public var path: String {
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) { return String(target[..<q]) }
        return target
    }

    /// The raw query string after `?`, or "".
    public var queryString: String {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return "" }
        return String(target[target.utf8.index(after: q)...])
    }

    /// Query parameters, percent-decoded with `+` as space, in order.
    public var query: FormFields { FormFields(urlEncoded: queryString) }

    /// Whether the connection should stay open after the response.
    public var keepAlive: Bool {
        switch version {
        case .http11: return !headers.hasToken("close", in: "Connection")
        case .http10: return headers.hasToken("keep-alive", in: "Connection")
        }
    }

    public var bodyString: String { String(decoding: body, as: UTF8.self) }

    /// The scheme, host and port the client used to reach us, honouring
    /// `X-Forwarded-Proto` (http or https; anything else is ignored) and `X-Forwarded-Host`
    /// from a proxy in front. An empty or comma-only header counts as absent.
    public var baseURL: String {
        let forwarded = headers.firstElement("X-Forwarded-Proto")?.lowercased()
        let scheme = forwarded == "https" || forwarded == "http" ? forwarded ?? "http" : "http"
        let host = headers.firstElement("X-Forwarded-Host") ?? headers["Host"] ?? "localhost:\(localPort)"
        return "\(scheme)://\(host)"
    }

    /// The base URL plus the mount prefix: where this provider's documented paths start.
    public var mountURL: String { baseURL + mountPrefix }
}

/// `application/x-www-form-urlencoded` fields (also used for query strings).
public struct FormFields: Sendable, Sequence {
    public private(set) var pairs: [(name: String, value: String)]

    public init(urlEncoded: String) {
        pairs = []
        for part in urlEncoded.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let kv = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(Substring(kv[0]), plusAsSpace: true)
            let value = kv.count > 1 ? PercentDecoding.decode(Substring(kv[1]), plusAsSpace: true) : ""
            pairs.append((name: name, value: value))
        }
    }

    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public func values(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        pairs.makeIterator()
    }
}

public enum PercentDecoding {
    /// Decodes `%XX` escapes (invalid escapes are kept as written) and, for form
    /// encoding, `+` as a space. Invalid UTF-8 is repaired with U+FFFD.
    public static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool) -> String {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "%") || ($0 == UInt8(ascii: "+") && plusAsSpace) }) {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let hi = hexValue(iterator[iterator.startIndex]),
               let lo = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(hi << 4 | lo)
                iterator = iterator.dropFirst(2)
            } else if byte == UInt8(ascii: "+") && plusAsSpace {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986).
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
