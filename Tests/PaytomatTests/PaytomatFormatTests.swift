import Foundation
import Testing
@testable import Paytomat

/// `PaytomatCurrency.format` writes a decimal from its significand and exponent; it must
/// give what rounding it and trimming `Decimal`'s own text gives.
@Suite struct PaytomatFormatTests {
    static func reference(_ value: Decimal, places: Int) -> String {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, places, .plain)
        var text = "\(rounded)"
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    @Test(arguments: ["0", "100", "1e5", "0.5", "0.00231214", "0.000000005", "0.000000004", "123456789012.12345678",
                      "999999999999.999999995", "12345678901234567890123", "-1.25", "0.0023121387283236994219653179190751445086",
                      "1000000000000", "0.10", "7E-3", "18446744073709551615", "9.999999999999999999"])
    func knownValues(text: String) throws {
        let value = try #require(Decimal(string: text))
        for places in [0, 2, 8, 18] {
            #expect(PaytomatCurrency.format(value, places: places) == Self.reference(value, places: places), "\(text) to \(places)")
        }
    }

    @Test func amountsTimesRates() {
        var generator = SystemRandomNumberGenerator()
        let rates = PaytomatCurrency.all.flatMap { a in PaytomatCurrency.all.map { a.rate(to: $0) } }
        for _ in 0 ..< 2000 {
            let cents = Decimal(Int.random(in: 1 ... 100_000_000_000, using: &generator)) / 100
            let rate = rates[Int.random(in: 0 ..< rates.count, using: &generator)]
            for places in [2, 8] {
                #expect(PaytomatCurrency.format(cents * rate, places: places) == Self.reference(cents * rate, places: places))
            }
        }
    }
}
