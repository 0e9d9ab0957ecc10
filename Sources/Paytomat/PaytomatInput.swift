import Foundation
import HTTPServer
import SQLiteStore
import SandboxCore

/// Paytomat's input rules beyond the shared readers, as each field's *Validation* line says.
extension Input where Failure == PaytomatError {
    func currency(_ name: String, direction: KeyPath<PaytomatCurrency, Bool>? = nil,
                  table: [PaytomatCurrency] = PaytomatCurrency.all) throws(PaytomatError) -> PaytomatCurrency {
        let code = try requiredText(name, max: 10)
        guard let currency = PaytomatCurrency.find(code, in: table) else {
            throw .invalid("\(name): unknown currency code '\(code)'")
        }
        if let direction, !currency[keyPath: direction] {
            throw .invalid("\(name): \(currency.code) cannot be used in this direction")
        }
        return currency
    }

    /// The product fields `create_product` takes, validated; `required` for create, all
    /// optional for update.
    func productValues(required: Bool) throws(PaytomatError) -> [(String, SQLValue)] {
        var values: [(String, SQLValue)] = []
        if required || has("amount") {
            let amount = try decimal("amount", places: 2)
            values.append(("amount", .text(PaytomatCurrency.format(amount, places: 2).paddedCents())))
        }
        if required || has("currency") { values.append(("currency", .text(try currency("currency").code))) }
        if required || has("title") { values.append(("title", .text(try requiredText("title", max: 255)))) }
        if required || has("unit") {
            let unit = try requiredText("unit", max: 20)
            guard ["single", "piece", "decimal"].contains(unit) else {
                throw .invalid("unit must be single, piece or decimal")
            }
            values.append(("unit", .text(unit)))
        }
        if has("callback_url") { values.append(("callback_url", .text(try url("callback_url", max: 2048) ?? ""))) }
        if has("skip_email") {
            guard let flag = params.string("skip_email"), ["0", "1", "true", "false"].contains(flag) else {
                throw .invalid("skip_email must be 1 or 0")
            }
            values.append(("skip_email", .integer(flag == "1" || flag == "true" ? 1 : 0)))
        }
        if has("custom_css") { values.append(("custom_css", .text(try text("custom_css", max: 2048) ?? ""))) }
        if has("fields") { values.append(("fields", .text(try fields(params.raw("fields") ?? .null).serialized()))) }
        return values
    }

    /// `fields`: an array of objects, each with a string `id` and `title`.
    private func fields(_ value: JSON) throws(PaytomatError) -> JSON {
        guard let items = value.arrayValue else { throw .invalid("fields must be an array of objects") }
        for (i, item) in items.enumerated() {
            guard case .object = item else { throw .invalid("fields[\(i)] must be an object") }
            for key in ["id", "title"] where item[key]?.stringValue?.isEmpty ?? true {
                throw .invalid("fields[\(i)].\(key) is required text")
            }
        }
        return value
    }
}

extension String {
    /// "15" → "15.00", "5.5" → "5.50".
    func paddedCents() -> String {
        let parts = split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        return String(parts[0]) + "." + fraction + String(repeating: "0", count: max(0, 2 - fraction.count))
    }
}
