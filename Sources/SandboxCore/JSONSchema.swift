import Foundation
import HTTPServer

/// A JSON Schema (draft-04) validator over `JSON`, for the keywords request schemas use:
/// type, properties, required, additionalProperties, items, minItems, maxItems, enum,
/// minLength, maxLength, pattern, minimum, maximum and format (checked by named
/// functions the caller supplies). It reports every violation, not just the first, each
/// with its property path (`payer.withdrawalHistory[0].id`) and JSON pointer.
public struct JSONSchema: Sendable {
    public struct Violation: Sendable, Equatable {
        public let property: String
        public let pointer: String
        public let message: String
        public let constraint: String

        public init(property: String, pointer: String, message: String, constraint: String) {
            self.property = property
            self.pointer = pointer
            self.message = message
            self.constraint = constraint
        }

        public var json: JSON {
            ["property": .string(property), "pointer": .string(pointer), "message": .string(message), "constraint": .string(constraint)]
        }
    }

    public typealias FormatCheck = @Sendable (String) -> Bool

    public let schema: JSON
    public let formats: [String: FormatCheck]
    /// Every `pattern` in the schema, compiled once (compiling them on each call had taken
    /// a quarter of an Alphacomm create's time); an invalid one is absent and matches nothing.
    private let patterns: [String: NSRegularExpression]

    public init(schema: JSON, formats: [String: FormatCheck] = [:]) {
        self.schema = schema
        self.formats = formats
        var patterns: [String: NSRegularExpression] = [:]
        func collect(_ node: JSON) {
            switch node {
            case .object(let members):
                for (name, value) in members {
                    if name == "pattern", let text = value.stringValue, patterns[text] == nil {
                        patterns[text] = try? NSRegularExpression(pattern: text)
                    }
                    collect(value)
                }
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(schema)
        self.patterns = patterns
    }

    public func validate(_ instance: JSON) -> [Violation] {
        var violations: [Violation] = []
        check(instance, against: schema, path: [], into: &violations)
        return violations
    }

    private enum Step { case key(String), index(Int) }

    private func check(_ value: JSON, against schema: JSON, path: [Step], into out: inout [Violation]) {
        func fail(_ constraint: String, _ message: String, at p: [Step]? = nil) {
            let steps = p ?? path
            var property = ""
            var pointer = ""
            for step in steps {
                switch step {
                case .key(let k):
                    property += property.isEmpty ? k : "." + k
                    pointer += "/" + k.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                case .index(let i):
                    property += "[\(i)]"
                    pointer += "/\(i)"
                }
            }
            out.append(Violation(property: property, pointer: pointer, message: message, constraint: constraint))
        }

        if let types = schema["type"] {
            let allowed = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue].compactMap { $0 }
            if !allowed.contains(where: { Self.matches(value, type: $0) }) {
                fail("type", "\(Self.describe(value)) value found, but \(Self.article(allowed)) is required")
                return
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { Self.equal($0, value) }) {
            fail("enum", "Does not have a value in the enumeration [\(options.map { $0.serialized() }.joined(separator: ", "))]")
        }
        switch value {
        case .string(let text):
            let length = text.unicodeScalars.count
            if let min = schema["minLength"]?.intValue, length < min { fail("minLength", "Must be at least \(min) characters long") }
            if let max = schema["maxLength"]?.intValue, length > max { fail("maxLength", "Must be at most \(max) characters long") }
            if let pattern = schema["pattern"]?.stringValue, !matches(text, pattern: pattern) {
                fail("pattern", "Does not match the regex pattern \(pattern)")
            }
            if let format = schema["format"]?.stringValue, let check = formats[format], !check(text) {
                fail("format", "Invalid \(format) '\(text)'")
            }
        case .number(let text):
            let number = Double(text) ?? .nan
            if let min = schema["minimum"].flatMap({ Double($0.serialized()) }), number < min { fail("minimum", "Must have a minimum value of \(schema["minimum"]?.serialized() ?? "")") }
            if let max = schema["maximum"].flatMap({ Double($0.serialized()) }), number > max { fail("maximum", "Must have a maximum value of \(schema["maximum"]?.serialized() ?? "")") }
        case .array(let items):
            if let min = schema["minItems"]?.intValue, items.count < min { fail("minItems", "There must be a minimum of \(min) items in the array") }
            if let max = schema["maxItems"]?.intValue, items.count > max { fail("maxItems", "There must be a maximum of \(max) items in the array") }
            if let itemSchema = schema["items"], case .object = itemSchema {
                for (i, item) in items.enumerated() { check(item, against: itemSchema, path: path + [.index(i)], into: &out) }
            }
        case .object(let members):
            let properties = schema["properties"]?.objectValue ?? []
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !members.contains(where: { $0.0 == name }) {
                fail("required", "The property \(name) is required", at: path + [.key(name)])
            }
            for (name, member) in members {
                if let sub = properties.first(where: { $0.0 == name })?.1 {
                    check(member, against: sub, path: path + [.key(name)], into: &out)
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) {
                        fail("additionalProperties", "The property \(name) is not defined and the definition does not allow additional properties", at: path + [.key(name)])
                    } else if case .object = additional {
                        check(member, against: additional, path: path + [.key(name)], into: &out)
                    }
                }
            }
        default:
            break
        }
    }

    static func matches(_ value: JSON, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("array", .array), ("object", .object), ("null", .null), ("number", .number): return true
        case ("integer", .number(let text)):
            if Int(text) != nil { return true }
            guard let d = Double(text) else { return false }
            return d.rounded() == d && !text.contains(".")
        default: return false
        }
    }

    static func equal(_ a: JSON, _ b: JSON) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return Double(x) == Double(y) }
        return a == b
    }

    static func describe(_ value: JSON) -> String {
        switch value {
        case .number(let text): return Int(text) != nil ? "Integer" : "Number"
        case .string: return "String"
        case .bool: return "Boolean"
        case .array: return "Array"
        case .object: return "Object"
        case .null: return "NULL"
        }
    }

    static func article(_ types: [String]) -> String {
        types.map { ["integer", "array", "object"].contains($0) ? "an \($0)" : "a \($0)" }.joined(separator: " or ")
    }

    private func matches(_ text: String, pattern: String) -> Bool {
        guard let regex = patterns[pattern] else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
