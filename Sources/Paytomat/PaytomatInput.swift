import Foundation
import HTTPServer
import SQLiteStore
import SandboxCore

/// Input rules as each field's *Validation* line says, with messages naming the field.
enum PaytomatInput {
    static func params(_ request: HTTPRequest) throws -> RequestParams {
        do { return try RequestParams(request) } catch { throw PaytomatError.invalid("The body must be a JSON object") }
    }

    static func requiredInt(_ p: RequestParams, _ name: String) throws -> Int {
        guard let text = p.string(name) else { throw PaytomatError.invalid("\(name) is required") }
        guard let value = Int(text) else { throw PaytomatError.invalid("\(name) must be an integer") }
        return value
    }

    /// Absent (or JSON null): nil. Sent, it must be an integer: `offset=` is refused, not
    /// read as no offset.
    static func optionalInt(_ p: RequestParams, _ name: String) throws -> Int? {
        guard let raw = p.raw(name), !raw.isNull else { return nil }
        guard let value = p.string(name).flatMap({ Int($0) }) else {
            throw PaytomatError.invalid("\(name) must be an integer")
        }
        return value
    }

    static func text(_ p: RequestParams, _ name: String, required: Bool, max: Int = 1000) throws -> String? {
        switch p.raw(name) {
        case .array, .object, .bool: throw PaytomatError.invalid("\(name) must be text")
        default: break
        }
        guard let value = p.string(name) else {
            if required { throw PaytomatError.invalid("\(name) is required") }
            return nil
        }
        guard value.count <= max else { throw PaytomatError.invalid("\(name) must be at most \(max) characters") }
        return value
    }

    /// A decimal above 0 (a JSON number or a numeric string).
    /// A number above 0 with at most `places` decimals (more would be rounded away when stored).
    static func positiveDecimal(_ p: RequestParams, _ name: String, kind: String = "decimal", places: Int) throws
        -> Decimal
    {
        guard let text = p.string(name) else { throw PaytomatError.invalid("\(name) is required") }
        guard case .bool = p.raw(name) ?? .null else {
            // ASCII digits, sign, point and exponent only: `Decimal(string:)` reads a number's
            // beginning and ignores the rest ("12abc" is 12), and knows no other digits.
            guard text.utf8.allSatisfy({ "0123456789.-+eE".utf8.contains($0) }), let value = Decimal(string: text)
            else {
                throw PaytomatError.invalid("\(name) must be a \(kind)")
            }
            guard value > 0 else { throw PaytomatError.invalid("\(name) must be greater than 0") }
            guard value <= 1_000_000_000_000 else { throw PaytomatError.invalid("\(name) is too large") }
            // More places than allowed only if its exponent says so ("1.50" is 150e-2: rounded).
            if -value.exponent > places {
                var exact = value, rounded = Decimal()
                NSDecimalRound(&rounded, &exact, places, .plain)
                guard rounded == value else {
                    throw PaytomatError.invalid("\(name) must have at most \(places) decimal places")
                }
            }
            return value
        }
        throw PaytomatError.invalid("\(name) must be a \(kind)")
    }

    static func currency(_ p: RequestParams, _ name: String, direction: KeyPath<PaytomatCurrency, Bool>? = nil,
                         table: [PaytomatCurrency] = PaytomatCurrency.all) throws -> PaytomatCurrency {
        guard let code = try text(p, name, required: true, max: 10) else {
            throw PaytomatError.invalid("\(name) is required")
        }
        guard let currency = PaytomatCurrency.find(code, in: table) else {
            throw PaytomatError.invalid("\(name): unknown currency code '\(code)'")
        }
        if let direction, !currency[keyPath: direction] {
            throw PaytomatError.invalid("\(name): \(currency.code) cannot be used in this direction")
        }
        return currency
    }

    static func url(_ p: RequestParams, _ name: String) throws -> String? {
        guard let value = try text(p, name, required: false, max: 2048) else { return nil }
        guard isAbsoluteHTTPURL(value) else {
            throw PaytomatError.invalid("\(name) must be an absolute http or https URL")
        }
        return value
    }

    /// The product fields `create_product` takes, validated; `required` for create, all
    /// optional for update.
    static func productValues(_ p: RequestParams, required: Bool) throws -> [(String, SQLValue)] {
        var values: [(String, SQLValue)] = []
        if required || p.has("amount") {
            values.append(
                (
                    "amount",
                    .text(PaytomatCurrency.format(try positiveDecimal(p, "amount", places: 2), places: 2).paddedCents())
                ))
        }
        if required || p.has("currency") { values.append(("currency", .text(try currency(p, "currency").code))) }
        if required || p.has("title") {
            values.append(("title", .text(try text(p, "title", required: true, max: 255) ?? "")))
        }
        if required || p.has("unit") {
            let unit = try text(p, "unit", required: true, max: 20) ?? ""
            guard ["single", "piece", "decimal"].contains(unit) else {
                throw PaytomatError.invalid("unit must be single, piece or decimal")
            }
            values.append(("unit", .text(unit)))
        }
        if p.has("callback_url") { values.append(("callback_url", .text(try url(p, "callback_url") ?? ""))) }
        if p.has("skip_email") {
            guard let flag = p.string("skip_email"), flag == "0" || flag == "1" || flag == "true" || flag == "false"
            else {
                throw PaytomatError.invalid("skip_email must be 1 or 0")
            }
            values.append(("skip_email", .integer(flag == "1" || flag == "true" ? 1 : 0)))
        }
        if p.has("custom_css") {
            values.append(("custom_css", .text(try text(p, "custom_css", required: false, max: 2048) ?? "")))
        }
        if p.has("fields") { values.append(("fields", .text(try fields(p.raw("fields") ?? .null).serialized()))) }
        return values
    }

    /// `fields`: an array of objects, each with a string `id` and `title`.
    static func fields(_ value: JSON) throws -> JSON {
        guard let items = value.arrayValue else { throw PaytomatError.invalid("fields must be an array of objects") }
        for (i, item) in items.enumerated() {
            guard case .object = item else { throw PaytomatError.invalid("fields[\(i)] must be an object") }
            for key in ["id", "title"] where item[key]?.stringValue?.isEmpty ?? true {
                throw PaytomatError.invalid("fields[\(i)].\(key) is required text")
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
