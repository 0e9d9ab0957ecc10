import Foundation
import HTTPServer
import SandboxCore
import SandboxResources

/// The create call's schema (Resources/schemas/alphacomm-paypal-create.json) and the
/// formats it names, checked against the code tables in Resources/iso.
enum AlphacommSchema {
    static let create: JSONSchema = {
        let schema =
            SandboxResources.data("schemas/alphacomm-paypal-create.json").flatMap { try? JSON.parse($0) } ?? [:]
        return JSONSchema(schema: schema, formats: formats)
    }()

    static func table(_ name: String) -> Set<String> {
        Set(
            (SandboxResources.data("iso/\(name).json").flatMap { try? JSON.parse($0) }?.arrayValue ?? []).compactMap(
                \.stringValue))
    }

    static let countries = table("iso3166-1-alpha2")
    static let languages = table("iso639-1")
    static let currencies = table("iso4217")

    static let formats: [String: JSONSchema.FormatCheck] = [
        "uuid-v4-v5": { isUUIDv4or5($0) },
        "absolute-url": { isAbsoluteHTTPURL($0) },
        "email": isEmailAddress,
        "iso3166-1-alpha2": { countries.contains($0) },
        "iso639-1": { languages.contains($0) },
        "iso4217": { currencies.contains($0) },
        "ip-address": { isIPAddress($0) },
        "iso8601-datetime": { isISO8601DateTime($0) },
        "numeric": { text in
            // Plain decimals (the usual case) without Foundation; anything else as Decimal reads it.
            isPlainDecimal(text)
                || (!text.isEmpty && Decimal(string: text) != nil
                    && text.allSatisfy { $0.isNumber || $0 == "." || $0 == "-" })
        },
    ]

    /// `-?[0-9]+(\.[0-9]+)?`
    static func isPlainDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let digits = UInt8(ascii: "0") ... UInt8(ascii: "9")
        return (1 ... 2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(digits.contains) }
    }

    /// 8-4-4-4-12 hex digits, version 4 or 5, RFC 4122 variant.
    static func isUUIDv4or5(_ text: String) -> Bool {
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
        return (bytes[14] == UInt8(ascii: "4") || bytes[14] == UInt8(ascii: "5")) && "89abAB".utf8.contains(bytes[19])
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// `2016-11-22T11:39:21+0100`, `…Z`, `…+01:00`, with optional fraction; also
    /// `2016-01-01 13:56:48` (the documented example's form).
    static func isISO8601DateTime(_ text: String) -> Bool {
        text.count >= 16 && Timestamp.parseISO8601(text) != nil
    }
}
