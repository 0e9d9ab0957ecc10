import HTTPServer

/// The Mustache subset the pages in `Resources/templates/` are written in, rendered from a
/// `JSON` context:
/// - `{{name}}`, `{{a.b}}`, `{{.}}`: the value, HTML-escaped (the only way text gets in);
/// - `{{{name}}}`: unescaped, only for HTML the sandbox made itself (a page body, the QR SVG);
/// - `{{#name}}…{{/name}}`: a list repeats its block per item; true, a non-empty string or an
///   object shows it once (an object's keys come into scope); false, null, "" or [] hide it;
/// - `{{^name}}…{{/name}}`: shown exactly when `{{#name}}` would not be;
/// - `{{! comment}}`.
public struct Template: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case value([String], escaped: Bool)
        case section([String], inverted: Bool, [Node])
    }

    let nodes: [Node]

    public init(_ source: String) throws(TemplateError) {
        var open: [(tag: String, inverted: Bool, outer: [Node])] = []
        var nodes: [Node] = []
        var rest = Substring(source)
        while let start = rest.firstRange(of: "{{") {
            if start.lowerBound > rest.startIndex { nodes.append(.text(String(rest[..<start.lowerBound]))) }
            var inside = rest[start.upperBound...]
            let triple = inside.first == "{"
            if triple { inside = inside.dropFirst() }
            guard let end = inside.firstRange(of: triple ? "}}}" : "}}") else {
                throw TemplateError("a tag is not closed: \(String(rest[start.lowerBound...].prefix(40)))")
            }
            let tag = String(inside[..<end.lowerBound]).trimmingASCIISpaces()
            rest = inside[end.upperBound...]
            guard let sigil = tag.first else { throw TemplateError("an empty tag {{}}") }
            let name = String(tag.dropFirst()).trimmingASCIISpaces()
            switch sigil {
            case "!":
                continue
            case "#", "^":
                open.append((name, sigil == "^", nodes))
                nodes = []
            case "/":
                guard let section = open.popLast(), section.tag == name else {
                    throw TemplateError("{{/\(name)}} closes nothing open")
                }
                nodes = section.outer + [.section(Self.path(name), inverted: section.inverted, nodes)]
            default:
                nodes.append(.value(Self.path(tag), escaped: !triple))
            }
        }
        if !rest.isEmpty { nodes.append(.text(String(rest))) }
        if let section = open.last { throw TemplateError("{{#\(section.tag)}} is not closed") }
        self.nodes = nodes
    }

    public func render(_ context: JSON) -> String {
        var out = ""
        Self.render(nodes, [context], into: &out)
        return out
    }

    private static func path(_ name: String) -> [String] {
        name == "." ? [] : name.split(separator: ".").map(String.init)
    }

    private static func render(_ nodes: [Node], _ scopes: [JSON], into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .value(let path, let escaped):
                let text = lookup(path, scopes).map(display) ?? ""
                out += escaped ? HTML.escape(text) : text
            case .section(let path, let inverted, let body):
                let value = lookup(path, scopes) ?? .null
                if inverted {
                    if !truthy(value) { render(body, scopes, into: &out) }
                } else if case .array(let items) = value {
                    for item in items { render(body, scopes + [item], into: &out) }
                } else if truthy(value) {
                    render(body, scopes + [value], into: &out)
                }
            }
        }
    }

    /// The innermost scope that has the first name, then down the rest of the path.
    private static func lookup(_ path: [String], _ scopes: [JSON]) -> JSON? {
        guard let first = path.first else { return scopes.last }
        guard var value = scopes.last(where: { $0[first] != nil })?[first] else { return nil }
        for name in path.dropFirst() {
            guard let next = value[name] else { return nil }
            value = next
        }
        return value
    }

    private static func truthy(_ value: JSON) -> Bool {
        switch value {
        case .null: return false
        case .bool(let b): return b
        case .string(let s): return !s.isEmpty
        case .array(let items): return !items.isEmpty
        case .number, .object: return true
        }
    }

    private static func display(_ value: JSON) -> String {
        switch value {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .number(let text), .string(let text): return text
        case .array, .object: return value.serialized()
        }
    }
}

public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
