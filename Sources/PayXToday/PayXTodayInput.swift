import Foundation
import HTTPServer
import SandboxCore

/// Input rules as the document writes them (Laravel-style: required, int, max, email,
/// exists), each failure a message naming the field in the `error` wrapper.
enum PayXTodayInput {
    static func requiredInt(_ params: RequestParams, _ name: String) throws -> Int {
        guard let text = params.string(name) else { throw PayXTodayError.invalid("The \(name) field is required.") }
        guard let value = Int(text) else { throw PayXTodayError.invalid("The \(name) must be an integer.") }
        return value
    }

    /// A string of at most `max` characters; nil when absent (or empty and not required).
    static func string(_ params: RequestParams, _ name: String, max: Int, required: Bool) throws -> String? {
        switch params.raw(name) {
        case .array, .object, .bool: throw PayXTodayError.invalid("The \(name) must be a string.")
        default: break
        }
        guard let value = params.string(name) else {
            if required { throw PayXTodayError.invalid("The \(name) field is required.") }
            return nil
        }
        guard value.count <= max else {
            throw PayXTodayError.invalid("The \(name) may not be greater than \(max) characters.")
        }
        return value
    }

    static func email(_ params: RequestParams, _ name: String, required: Bool) throws -> String? {
        guard let value = try string(params, name, max: 255, required: required) else { return nil }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."),
              !containsSpaceOrLineBreak(value) else {
            throw PayXTodayError.invalid("The \(name) must be a valid email address.")
        }
        return value
    }

    static func country(_ params: RequestParams, required: Bool) throws -> Int? {
        guard params.string("id_country") != nil || required else { return nil }
        let id = try requiredInt(params, "id_country")
        guard PayXTodayData.countriesByID[id] != nil else {
            throw PayXTodayError.invalid("The selected id_country is invalid.")
        }
        return id
    }

    /// `price`: numeric, more than 0, at most two decimals; shown as "290.00".
    static func price(_ params: RequestParams) throws -> String {
        guard let text = params.string("price") else { throw PayXTodayError.invalid("The price field is required.") }
        guard let value = Decimal(string: text), text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) else {
            throw PayXTodayError.invalid("The price must be a number.")
        }
        guard value > 0, value <= 1_000_000_000 else {
            throw PayXTodayError.invalid("The price must be between 0.01 and 1000000000.")
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, (parts.count == 1 || parts[1].count <= 2) else {
            throw PayXTodayError.invalid("The price may have at most 2 decimals.")
        }
        let whole = String(Int(parts[0]) ?? 0)
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        while fraction.count < 2 { fraction += "0" }
        return whole + "." + fraction
    }

    /// An optional redirect URL: at most 255 characters, absolute http(s).
    static func url(_ params: RequestParams, _ name: String) throws -> String? {
        guard let value = try string(params, name, max: 255, required: false) else { return nil }
        guard isAbsoluteHTTPURL(value) else { throw PayXTodayError.invalid("The \(name) must be a valid URL.") }
        return value
    }
}
