import HTTPServer
import SandboxCore

/// A Rails form's `errors.details`: per attribute, in the order validations ran.
public struct ErrorDetails: Sendable {
    private(set) var fields: [(String, [JSON])] = []

    var isEmpty: Bool { fields.isEmpty }

    mutating func add(_ field: String, _ error: String, _ extra: [(String, JSON)] = []) {
        let detail = JSON.object([("error", .string(error))] + extra)
        if let i = fields.firstIndex(where: { $0.0 == field }) {
            fields[i].1.append(detail)
        } else {
            fields.append((field, [detail]))
        }
    }

    /// The parameter, or nil with `blank` added.
    mutating func required(_ params: RequestParams, _ name: String) -> String? {
        // Rails' `blank?`: nothing but whitespace (Unicode's, as `[[:space:]]` reads it).
        let value = params.string(name).flatMap { text in
            text.unicodeScalars.allSatisfy(\.properties.isWhitespace) ? nil : text
        }
        if value == nil { add(name, "blank") }
        return value
    }

    var json: JSON { .object(fields.map { ($0.0, .array($0.1)) }) }
}
