import HTTPServer

/// One request in the journal, as the witness and `/_sandbox/requests` read it.
public struct Call: Sendable {
    public let id: Int64
    public let provider: String
    /// The account its credentials name (also on a refused call, where they name one).
    public let account: Int?
    /// Its documented route ("POST /api/v1/create_transaction"), nil for a path none serves.
    public let route: String?
    /// The payment it created, read or changed.
    public let payment: String?
    public let method: String
    public let target: String
    public let headers: HTTPHeaders
    public let body: [UInt8]
    public let status: Int
    public let responseHeaders: HTTPHeaders
    public let responseBody: [UInt8]
    public let durationMicros: Int
    /// The fault it met (`error`, `lost_response`, …) and the rule's id (nil: the header's).
    public let fault: String?
    public let faultRule: Int?
    /// On the sandbox clock (ms).
    public let at: Int64
    /// On the wall clock (ms): what spacing between a client's retries is measured in.
    public let wall: Int64

    /// The target's path (no query).
    public var path: String { request.path }

    /// The request as the provider's handlers saw it (for reading its parameters again).
    public var request: HTTPRequest { HTTPRequest(method: method, target: target, headers: headers, body: body) }

    /// The query string's fields as an object of strings.
    public var query: JSON { .object(request.query.map { ($0.name, .string($0.value)) }) }

    /// The body as JSON: parsed JSON, or a form's fields as strings (nil: empty or unreadable).
    public var bodyJSON: JSON? { Self.decode(body, headers) }

    /// The answer's body as JSON (nil: not JSON).
    public var responseJSON: JSON? { try? JSON.parse(responseBody) }

    /// Whether the provider carried it out with success (2xx), and the answer reached the client.
    public var answered: Bool { (200..<300).contains(status) && fault != "lost_response" }

    /// A value the request carried at a dotted path: `body.ref`, `query.id`, `headers.Authorization`,
    /// `response.status` (the answer's body), `status`, `route`, `method`.
    public func value(at path: String) -> JSON? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        let rest = parts.count > 1 ? parts[1] : nil
        switch (parts.first ?? "", rest) {
        case ("body", let rest?): return bodyJSON?.value(at: rest)
        case ("query", let rest?): return query.value(at: rest)
        case ("headers", let name?): return headers[name].map(JSON.string)
        case ("response", let rest?): return responseJSON?.value(at: rest)
        case ("status", nil): return .int(status)
        case ("route", nil): return route.map(JSON.string)
        case ("method", nil): return .string(method)
        case ("payment", nil): return payment.map(JSON.string)
        default: return nil
        }
    }

    static func decode(_ bytes: [UInt8], _ headers: HTTPHeaders) -> JSON? {
        guard !bytes.isEmpty else { return nil }
        if let parsed = try? JSON.parse(bytes) { return parsed }
        let type = headers["Content-Type"] ?? ""
        guard type.isEmpty || type.contains("form") else { return nil }
        let fields = FormFields(urlEncoded: String(decoding: bytes, as: UTF8.self))
        return .object(fields.map { ($0.name, .string($0.value)) })
    }

    /// As `/_sandbox/requests` lists it.
    public var json: JSON {
        func shown(_ bytes: [UInt8], _ headers: HTTPHeaders) -> JSON {
            let type = headers["Content-Type"] ?? ""
            if type.contains("json"), let parsed = try? JSON.parse(bytes) { return parsed }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
        return [
            "id": .int(id),
            "at": .string(Timestamp.iso8601(milliseconds: at)),
            "provider": .string(provider),
            "account": account.map(JSON.int) ?? .null,
            "route": .optional(route),
            "payment": .optional(payment),
            "method": .string(method),
            "path": .string(path),
            "target": .string(target),
            "headers": .array(headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": shown(body, headers),
            "status": .int(status),
            "response": [
                "headers": .array(responseHeaders.map { .array([.string($0.name), .string($0.value)]) }),
                "body": shown(responseBody, responseHeaders),
            ],
            "duration_ms": .number(String(Double(durationMicros) / 1000)),
            "fault": fault.map { ["id": faultRule.map(JSON.int) ?? .null, "kind": .string($0)] } ?? .null,
        ]
    }
}

extension JSON {
    /// The value at a dotted path (`data.id_payment`, `items.0.name`), nil where there is none.
    public func value(at path: String) -> JSON? {
        var current: JSON? = self
        for key in path.split(separator: ".") {
            guard let here = current else { return nil }
            if case .array = here, let index = Int(key) { current = here[index] } else { current = here[String(key)] }
        }
        return current
    }

    /// Scalars as text (a number as written, `true`), for comparing a form's strings with JSON values.
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return nil
        }
    }
}
