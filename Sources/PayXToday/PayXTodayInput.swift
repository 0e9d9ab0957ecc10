import Foundation
import HTTPServer
import SandboxCore

/// PayXToday's input rules beyond the shared readers (Laravel-style: exists, numeric).
extension Input where Failure == PayXTodayError {
    func country(required: Bool) throws(PayXTodayError) -> Int? {
        guard params.string("id_country") != nil || required else { return nil }
        let id = try requiredInteger("id_country")
        guard PayXTodayData.countriesByID[id] != nil else { throw .invalid("The selected id_country is invalid.") }
        return id
    }

    /// `price`: numeric, more than 0, at most two decimals; shown as "290.00".
    func price() throws(PayXTodayError) -> String {
        guard let text = params.string("price") else { throw .invalid("price", .required) }
        // (`Decimal` alone would read "1-2" as 1.)
        guard Formats.isDecimal(text), let value = Decimal(string: text) else {
            throw .invalid("price", .number(kind: "number"))
        }
        guard value > 0, value <= 1_000_000_000 else { throw .invalid("price", .positive) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.count == 1 || parts[1].count <= 2 else { throw .invalid("price", .places(2)) }
        let whole = String(Int(parts[0]) ?? 0)
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        while fraction.count < 2 { fraction += "0" }
        return whole + "." + fraction
    }

    /// A client's optional text field (`description` up to 500 characters, the others 255).
    func clientField(_ name: String) throws(PayXTodayError) -> String? {
        try text(name, max: name == "description" ? 500 : 255)
    }
}
