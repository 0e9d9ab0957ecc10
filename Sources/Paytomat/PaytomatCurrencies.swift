import Foundation
import HTTPServer
import SandboxResources

/// The currency table (Resources/paytomat/currencies.json): codes, directions, titles,
/// decimals and a USD price each, from which every exchange rate follows.
struct PaytomatCurrency: Sendable {
    let code, title: String
    let incoming, outgoing: Bool
    let decimals: Int
    let usd: Decimal

    static let all: [PaytomatCurrency] =
        (SandboxResources.data("paytomat/currencies.json").flatMap { try? JSON.parse($0) }?["currencies"]?.arrayValue
        ?? [])
        .compactMap { c in
            guard let code = c["code"]?.stringValue, let usd = c["usd"]?.stringValue.flatMap({ Decimal(string: $0) })
            else { return nil }
            return PaytomatCurrency(
                code: code, title: c["title"]?.stringValue ?? code, incoming: c["in"]?.boolValue ?? false,
                outgoing: c["out"]?.boolValue ?? false, decimals: c["decimals"]?.intValue ?? 8, usd: usd)
        }

    static func find(_ code: String, in table: [PaytomatCurrency] = all) -> PaytomatCurrency? {
        let upper = code.uppercased()
        return table.first { $0.code == upper }
    }

    /// The table with a merchant's own USD prices (`{"rates_usd":{"BTC":"50000"}}` in its
    /// settings) in place of the defaults.
    static func table(settings: JSON) -> [PaytomatCurrency] {
        guard let rates = settings["rates_usd"] else { return all }
        return all.map { c in
            guard let text = rates[c.code].flatMap({ $0.stringValue ?? ($0.intValue.map(String.init)) }),
                  let usd = Decimal(string: text), usd > 0 else { return c }
            return PaytomatCurrency(code: c.code, title: c.title, incoming: c.incoming, outgoing: c.outgoing,
                                    decimals: c.decimals, usd: usd)
        }
    }

    var json: JSON { ["code": .string(code), "in": .bool(incoming), "out": .bool(outgoing), "title": .string(title)] }

    /// `GET /currencies`: the table is fixed, so its JSON is written once.
    static let listing = HTTPResponse.json(["currencies": .array(all.map(\.json))])

    /// How many `other` one unit of this currency buys.
    func rate(to other: PaytomatCurrency) -> Decimal { usd / other.usd }

    /// A decimal rounded to `places`, as text without trailing zeros ("0.00041896", "241.81").
    /// Written from its significand and exponent: `Decimal`'s own text (and a rounding it does
    /// not need) had been a tenth of a create. Significands beyond 18 digits take the long way.
    static func format(_ value: Decimal, places: Int) -> String {
        var rounded = value
        if -value.exponent > places {
            var input = value
            NSDecimalRound(&rounded, &input, places, .plain)
        }
        let significand = rounded.significand as NSNumber
        guard significand.doubleValue < 1e18 else { return longFormat(rounded) }
        var digits = significand.uint64Value
        var exponent = rounded.exponent
        while exponent < 0 && digits % 10 == 0 && digits > 0 {
            digits /= 10
            exponent += 1
        }
        var text = digits == 0 ? "0" : String(digits)
        if digits != 0 && exponent > 0 {
            text += String(repeating: "0", count: exponent)
        } else if digits != 0 && exponent < 0 {
            let fraction = -exponent
            if text.utf8.count <= fraction {
                text = String(repeating: "0", count: fraction - text.utf8.count + 1) + text
            }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -fraction))
        }
        return rounded.isSignMinus && digits != 0 ? "-" + text : text
    }

    private static func longFormat(_ rounded: Decimal) -> String {
        var text = "\(rounded)"
        if text.utf8.contains(UInt8(ascii: ".")) {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// Significant places for a rate: 8 decimals below 1, 2 (or the currency's) above.
    static func formatRate(_ value: Decimal) -> String {
        format(value, places: value < 1 ? 8 : 4)
    }
}
