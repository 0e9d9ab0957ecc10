import HTTPServer

/// Request parameters as web frameworks (Rails, Laravel) merge them: the query string,
/// then a form or JSON body on top. Values keep their JSON type where the body is JSON.
public struct RequestParams: Sendable {
    private var values: [String: JSON] = [:]
    /// Whether the body was JSON (its values keep their types).
    public private(set) var isJSON = false

    /// The body could not be read (JSON that does not parse, or not an object).
    public struct BodyError: Error, Sendable {}

    public init(_ request: HTTPRequest) throws(BodyError) {
        for (name, value) in request.query { values[name] = .string(value) }
        guard !request.body.isEmpty else { return }
        let looksLikeJSON = request.body.first { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 } == UInt8(ascii: "{")
        // curl -d sends JSON labelled as a form: a body that opens with `{` is JSON.
        if looksLikeJSON || request.mediaType == "application/json" {
            guard let json = try? request.jsonBody(), case .object(let members) = json else { throw BodyError() }
            for (name, value) in members { values[name] = value }
            isJSON = true
        } else {
            for (name, value) in request.formBody { values[name] = .string(value) }
        }
    }

    /// A parameter as text, nil when absent, null or blank. Numbers as written, but a whole
    /// number written `5.0` or `5e0` as `5`, as PHP (which decodes it as a float) prints it.
    public func string(_ name: String) -> String? {
        switch values[name] {
        case .string(let s): return s.trimmingASCIISpaces().isEmpty ? nil : s
        case .number(let n): return Int(n) != nil ? n : JSON.number(n).intValue.map(String.init) ?? n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    public func raw(_ name: String) -> JSON? { values[name] }


    /// Whether the request sent the parameter at all (even empty or null).
    public func has(_ name: String) -> Bool { values[name] != nil }
}

