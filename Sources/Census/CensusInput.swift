import HTTPServer

/// Request parameters as Rails merges them: the query string, then a form or JSON body.
/// Values keep their JSON type where the body is JSON.
struct CensusParams {
    private var values: [String: JSON] = [:]

    init(_ request: HTTPRequest) throws(CensusError) {
        for (name, value) in request.query { values[name] = .string(value) }
        guard !request.body.isEmpty else { return }
        let looksLikeJSON = request.body.first { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 } == UInt8(ascii: "{")
        // curl -d sends JSON labelled as a form: a body that opens with `{` is JSON.
        if request.mediaType == "application/json" || looksLikeJSON {
            guard let json = try? request.jsonBody(), case .object(let members) = json else { throw .badRequest }
            for (name, value) in members { values[name] = value }
        } else {
            for (name, value) in request.formBody { values[name] = .string(value) }
        }
    }

    /// A parameter as text (numbers as written), nil when absent, null or blank.
    func string(_ name: String) -> String? {
        switch values[name] {
        case .string(let s): return s.trimmingASCIISpaces().isEmpty ? nil : s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    func raw(_ name: String) -> JSON? { values[name] }
}

/// A Rails form's `errors.details`: per attribute, in the order validations ran.
struct ErrorDetails {
    private(set) var fields: [(String, [JSON])] = []

    var isEmpty: Bool { fields.isEmpty }

    mutating func add(_ field: String, _ error: String, _ extra: [(String, JSON)] = []) {
        let detail = JSON.object([("error", .string(error))] + extra)
        if let i = fields.firstIndex(where: { $0.0 == field }) { fields[i].1.append(detail) } else { fields.append((field, [detail])) }
    }

    var json: JSON { .object(fields.map { ($0.0, .array($0.1)) }) }
}
