import Foundation
import HTTPServer

/// Checks of the formats providers' documents name for text fields (a schema's `format`, an
/// input rule): each true for text of that form.
public enum Formats {
    /// 8-4-4-4-12 hex digits of one of `versions` ("45": version 4 or 5), RFC 4122 variant.
    public static func isUUID(_ text: String, versions: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (i, byte) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                && !(UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
            {
                return false
            }
        }
        return versions.utf8.contains(bytes[14]) && "89abAB".utf8.contains(bytes[19])
    }

    /// An IPv4 or IPv6 address.
    public static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// An ISO 8601 date and time as `Timestamp.parseISO8601` reads it (with a time, at least
    /// to the minute).
    public static func isDateTime(_ text: String) -> Bool {
        text.count >= 16 && Timestamp.parseISO8601(text) != nil
    }

    /// A decimal number: `-?[0-9]+(\.[0-9]+)?` (the usual case, without Foundation), or one
    /// with a point at an end (`.5`, `5.`) as `Decimal` reads it; one point and one leading
    /// sign at most, and a digit (`Decimal` reads "." as 0).
    public static func isDecimal(_ text: String) -> Bool {
        isPlainDecimal(text)
            || (Decimal(string: text) != nil && text.filter({ $0 == "." }).count == 1
                && text.contains(where: \.isNumber)
                && text.dropFirst(text.hasPrefix("-") ? 1 : 0).allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") })
    }

    static func isPlainDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let digits = UInt8(ascii: "0") ... UInt8(ascii: "9")
        return (1 ... 2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(digits.contains) }
    }
}
