import Foundation
import HTTPServer

/// An input rule a request broke, for the provider's error type to word
/// (`ProviderError.invalid(_:_:)`).
public enum InputRule: Sendable, Equatable {
    case required
    /// Not an integer; `got`: the JSON type sent instead, where types are checked.
    case integer(got: String?)
    /// Not text (an array, an object, a boolean; a number too where types are checked).
    case text(got: String)
    case maxLength(Int)
    /// Not a number; `kind` is what the document calls it ("float", "decimal").
    case number(kind: String)
    case positive
    case atMost(Decimal)
    case places(Int)
    /// Not an absolute http or https URL.
    case url
    case email
    case oneOf([String])
    /// The body is not what the provider reads (JSON that does not parse, not an object).
    case body

    /// The words most providers use: "amount_in must be greater than 0".
    public func message(for field: String) -> String {
        switch self {
        case .required: return "\(field) is required"
        case .integer: return "\(field) must be an integer"
        case .text: return "\(field) must be text"
        case .maxLength(let max): return "\(field) must be at most \(max) characters"
        case .number(let kind): return "\(field) must be a \(kind)"
        case .positive: return "\(field) must be greater than 0"
        case .atMost: return "\(field) is too large"
        case .places(let places): return "\(field) must have at most \(places) decimal places"
        case .url: return "\(field) must be an absolute http or https URL"
        case .email: return "\(field) must be a valid email address"
        case .oneOf(let values): return "\(field) must be one of \(values.joined(separator: ", "))"
        case .body: return "The body must be a JSON object"
        }
    }
}

/// A request's parameters (`RequestParams`) read by rules: each reader answers the value or
/// throws the provider's error for the rule broken (`ProviderError.invalid(_:_:)`).
public struct Input<Failure: ProviderError>: Sendable {
    public let params: RequestParams
    /// Values of a JSON body must have the JSON type a reader reads (a number for an integer,
    /// a string for text); form and query values are text.
    private let typed: Bool

    public init(_ request: HTTPRequest, typed: Bool = false) throws(Failure) {
        do { params = try RequestParams(request) } catch { throw Failure.invalid("body", .body) }
        self.typed = typed
    }

    public func has(_ name: String) -> Bool { params.has(name) }

    /// Text of at most `max` characters (code points); nil when absent, null or blank (unless `required`).
    public func text(_ name: String, max: Int, required: Bool = false) throws(Failure) -> String? {
        switch params.raw(name) {
        case .array, .object, .bool: throw Failure.invalid(name, .text(got: params.raw(name)?.typeName ?? ""))
        case .number where typed && params.isJSON: throw Failure.invalid(name, .text(got: "number"))
        default: break
        }
        guard let value = params.string(name) else {
            if required { throw Failure.invalid(name, .required) }
            return nil
        }
        // Characters as PHP's mb_strlen and JSON Schema's maxLength count them: code points.
        guard value.unicodeScalars.count <= max else { throw Failure.invalid(name, .maxLength(max)) }
        return value
    }

    public func requiredText(_ name: String, max: Int) throws(Failure) -> String {
        guard let value = try text(name, max: max, required: true) else { throw Failure.invalid(name, .required) }
        return value
    }

    /// An integer (digits as text, or a JSON integer); nil when absent or null. Sent, even
    /// empty, it must be one: `offset=` is refused, not read as no offset.
    public func integer(_ name: String) throws(Failure) -> Int? {
        guard let raw = params.raw(name), !raw.isNull else { return nil }
        if case .number = raw {
            guard let value = raw.intValue else { throw Failure.invalid(name, .integer(got: "number")) }
            return value
        }
        if typed && params.isJSON { throw Failure.invalid(name, .integer(got: raw.typeName)) }
        guard let value = params.string(name).flatMap({ Int($0) }) else {
            throw Failure.invalid(name, .integer(got: nil))
        }
        return value
    }

    public func requiredInteger(_ name: String) throws(Failure) -> Int {
        let sent = typed && params.isJSON ? params.raw(name).map { !$0.isNull } ?? false : params.string(name) != nil
        guard sent, let value = try integer(name) else { throw Failure.invalid(name, .required) }
        return value
    }

    /// A number above 0 and at most `max` with at most `places` decimals (more would be
    /// rounded away when stored): a JSON number or a numeric string.
    public func decimal(_ name: String, places: Int, max: Decimal = 1_000_000_000_000, kind: String = "decimal")
        throws(Failure) -> Decimal
    {
        guard let text = params.string(name) else { throw Failure.invalid(name, .required) }
        // ASCII digits, sign, point and exponent only: `Decimal(string:)` reads a number's
        // beginning and ignores the rest ("12abc" is 12), and knows no other digits.
        let numeric = text.utf8.allSatisfy { "0123456789.-+eE".utf8.contains($0) }
        guard numeric, params.raw(name) != .bool(true), params.raw(name) != .bool(false),
              let value = Decimal(string: text)
        else { throw Failure.invalid(name, .number(kind: kind)) }
        guard value > 0 else { throw Failure.invalid(name, .positive) }
        guard value <= max else { throw Failure.invalid(name, .atMost(max)) }
        // More places than allowed only if its exponent says so ("1.50" is 150e-2: rounded).
        if -value.exponent > places {
            var exact = value, rounded = Decimal()
            NSDecimalRound(&rounded, &exact, places, .plain)
            guard rounded == value else { throw Failure.invalid(name, .places(places)) }
        }
        return value
    }

    /// An absolute http(s) URL of at most `max` characters; nil when absent (unless `required`).
    public func url(_ name: String, max: Int, required: Bool = false) throws(Failure) -> String? {
        guard let value = try text(name, max: max, required: required) else { return nil }
        guard isAbsoluteHTTPURL(value) else { throw Failure.invalid(name, .url) }
        return value
    }

    /// An email address of at most 255 characters (`isEmailAddress`).
    public func email(_ name: String, required: Bool = false) throws(Failure) -> String? {
        guard let value = try text(name, max: 255, required: required) else { return nil }
        guard isEmailAddress(value) else { throw Failure.invalid(name, .email) }
        return value
    }

    /// One of `values`; nil when absent (unless `required`).
    public func oneOf(_ name: String, _ values: [String], required: Bool = false) throws(Failure) -> String? {
        guard let value = try text(name, max: .max, required: required) else { return nil }
        guard values.contains(value) else { throw Failure.invalid(name, .oneOf(values)) }
        return value
    }
}

/// `local@domain.tld`: one `@`, something before it, a dot inside the domain, no spaces.
public func isEmailAddress(_ text: String) -> Bool {
    let parts = text.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
    let dot = UInt8(ascii: ".")
    return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(dot) && parts[1].first != dot
        && parts[1].last != dot && !containsSpaceOrLineBreak(text)
}
