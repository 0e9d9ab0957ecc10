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
            [
                "property": .string(property), "pointer": .string(pointer), "message": .string(message),
                "constraint": .string(constraint),
            ]
        }
    }

    public typealias FormatCheck = @Sendable (String) -> Bool

    /// The schema read once into nodes: looking each keyword up in the schema's JSON on every
    /// check (and compiling each pattern per call before that) had taken a third of an
    /// Alphacomm create's time.
    private let root: Node

    public init(schema: JSON, formats: [String: FormatCheck] = [:]) {
        var patterns: [String: NSRegularExpression] = [:]
        self.root = Node(schema, formats: formats, patterns: &patterns)
    }

    public func validate(_ instance: JSON) -> [Violation] {
        var violations: [Violation] = []
        var path: [Step] = []
        check(instance, against: root, path: &path, into: &violations)
        return violations
    }

    private enum Step { case key(String), index(Int) }

    /// One schema object's keywords. A keyword the schema does not have is nil; a pattern
    /// that does not compile is kept with a nil expression and matches nothing.
    private final class Node: Sendable {
        enum Additional { case allowed, forbidden, schema(Node) }

        let types: [String]?
        /// `types` as bits, checked without comparing names.
        let accepted: Kinds
        let options: [JSON]?
        let minLength: Int?
        let maxLength: Int?
        let pattern: (text: String, regex: NSRegularExpression?)?
        let format: (name: String, check: FormatCheck)?
        let minimum: (value: Double, text: String)?
        let maximum: (value: Double, text: String)?
        let minItems: Int?
        let maxItems: Int?
        let items: Node?
        /// Each named property's schema and, if it is required, its bit in the mask `check`
        /// fills as it meets them: one lookup per member for both.
        let properties: [String: (node: Node?, bit: UInt64)]
        let required: [String]
        let additional: Additional

        init(_ schema: JSON, formats: [String: FormatCheck], patterns: inout [String: NSRegularExpression]) {
            if let types = schema["type"] {
                self.types = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue].compactMap { $0 }
            } else {
                self.types = nil
            }
            accepted = Kinds(names: types ?? [])
            options = schema["enum"]?.arrayValue
            minLength = schema["minLength"]?.intValue
            maxLength = schema["maxLength"]?.intValue
            if let text = schema["pattern"]?.stringValue {
                if patterns[text] == nil { patterns[text] = try? NSRegularExpression(pattern: text) }
                pattern = (text, patterns[text])
            } else {
                pattern = nil
            }
            format = schema["format"]?.stringValue.flatMap { name in formats[name].map { (name, $0) } }
            func bound(_ key: String) -> (Double, String)? {
                guard let value = schema[key] else { return nil }
                let text = value.serialized()
                return Double(text).map { ($0, text) }
            }
            minimum = bound("minimum")
            maximum = bound("maximum")
            minItems = schema["minItems"]?.intValue
            maxItems = schema["maxItems"]?.intValue
            if let itemSchema = schema["items"], case .object = itemSchema {
                items = Node(itemSchema, formats: formats, patterns: &patterns)
            } else {
                items = nil
            }
            var properties: [String: (node: Node?, bit: UInt64)] = [:]
            // The first of a repeated name wins, as a lookup in the schema's members would.
            for (name, sub) in schema["properties"]?.objectValue ?? [] where properties[name] == nil {
                properties[name] = (Node(sub, formats: formats, patterns: &patterns), 0)
            }
            required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var bits = 0
            for name in required.prefix(64) where properties[name]?.bit ?? 0 == 0 {
                properties[name] = (properties[name]?.node, 1 << UInt64(bits))
                bits += 1
            }
            self.properties = properties
            switch schema["additionalProperties"] {
            case .bool(false)?: additional = .forbidden
            case let sub? where sub.objectValue != nil:
                additional = .schema(Node(sub, formats: formats, patterns: &patterns))
            default: additional = .allowed
            }
        }
    }

    private func check(_ value: JSON, against node: Node, path: inout [Step], into out: inout [Violation]) {
        func fail(_ constraint: String, _ message: String, key: String? = nil) {
            var property = ""
            var pointer = ""
            for step in path + (key.map { [Step.key($0)] } ?? []) {
                switch step {
                case .key(let k):
                    property += property.isEmpty ? k : "." + k
                    pointer +=
                        "/" + k.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                case .index(let i):
                    property += "[\(i)]"
                    pointer += "/\(i)"
                }
            }
            out.append(Violation(property: property, pointer: pointer, message: message, constraint: constraint))
        }

        if let allowed = node.types, !node.accepted.accepts(value) {
            fail("type", "\(Self.describe(value)) value found, but \(Self.article(allowed)) is required")
            return
        }
        if let options = node.options, !options.contains(where: { Self.equal($0, value) }) {
            fail(
                "enum",
                "Does not have a value in the enumeration [\(options.map { $0.serialized() }.joined(separator: ", "))]")
        }
        switch value {
        case .string(let text):
            if node.minLength != nil || node.maxLength != nil {
                let length = text.unicodeScalars.count
                if let min = node.minLength, length < min {
                    fail("minLength", "Must be at least \(min) characters long")
                }
                if let max = node.maxLength, length > max {
                    fail("maxLength", "Must be at most \(max) characters long")
                }
            }
            if let pattern = node.pattern, !Self.matches(text, pattern.regex) {
                fail("pattern", "Does not match the regex pattern \(pattern.text)")
            }
            if let format = node.format, !format.check(text) {
                fail("format", "Invalid \(format.name) '\(text)'")
            }
        case .number(let text) where node.minimum != nil || node.maximum != nil:
            let number = Double(text) ?? .nan
            if let min = node.minimum, number < min.value {
                fail("minimum", "Must have a minimum value of \(min.text)")
            }
            if let max = node.maximum, number > max.value {
                fail("maximum", "Must have a maximum value of \(max.text)")
            }
        case .array(let elements):
            if let min = node.minItems, elements.count < min {
                fail("minItems", "There must be a minimum of \(min) items in the array")
            }
            if let max = node.maxItems, elements.count > max {
                fail("maxItems", "There must be a maximum of \(max) items in the array")
            }
            if let itemNode = node.items {
                for (i, element) in elements.enumerated() {
                    path.append(.index(i))
                    check(element, against: itemNode, path: &path, into: &out)
                    path.removeLast()
                }
            }
        case .object(let members):
            // The required names met, as bits, while the members are checked: a scan of the
            // members for each name only when some are missing (or there are more than 64),
            // its violations put before the members'.
            let start = out.count
            var met: UInt64 = 0
            for (name, member) in members {
                let entry = node.properties[name]
                met |= entry?.bit ?? 0
                let sub: Node
                if let property = entry?.node {
                    sub = property
                } else {
                    switch node.additional {
                    case .allowed: continue
                    case .forbidden:
                        fail(
                            "additionalProperties",
                            "The property \(name) is not defined and the definition does not allow additional "
                            + "properties",
                            key: name)
                        continue
                    case .schema(let additional): sub = additional
                    }
                }
                path.append(.key(name))
                check(member, against: sub, path: &path, into: &out)
                path.removeLast()
            }
            if met.nonzeroBitCount != node.required.count {
                let memberViolations = out[start...]
                out.removeSubrange(start...)
                for name in node.required where !members.contains(where: { $0.0 == name }) {
                    fail("required", "The property \(name) is required", key: name)
                }
                out += memberViolations
            }
        default:
            break
        }
    }

    /// The JSON types a schema's `type` names.
    private struct Kinds: OptionSet {
        let rawValue: UInt8
        static let string = Kinds(rawValue: 1), boolean = Kinds(rawValue: 2), array = Kinds(rawValue: 4),
            object = Kinds(rawValue: 8)
        static let null = Kinds(rawValue: 16), number = Kinds(rawValue: 32), integer = Kinds(rawValue: 64)
        static let names: [String: Kinds] = ["string": .string, "boolean": .boolean, "array": .array, "object": .object,
                                             "null": .null, "number": .number, "integer": .integer]

        init(rawValue: UInt8) { self.rawValue = rawValue }
        init(names: [String]) { self = names.reduce(into: []) { $0.formUnion(Kinds.names[$1] ?? []) } }

        func accepts(_ value: JSON) -> Bool {
            switch value {
            case .string: return contains(.string)
            case .bool: return contains(.boolean)
            case .array: return contains(.array)
            case .object: return contains(.object)
            case .null: return contains(.null)
            case .number(let text):
                if contains(.number) { return true }
                guard contains(.integer) else { return false }
                // A number with no fractional part is an integer, `2000.0` and `2e3` too (JSON Schema
                // since draft 6, as OpenAPI 3.1's documents read it); beyond Int, as a Double tells.
                if value.intValue != nil { return true }
                guard let d = Double(text) else { return false }
                return d.rounded() == d && d.magnitude >= 0x1p63
            }
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

    private static func matches(_ text: String, _ regex: NSRegularExpression?) -> Bool {
        guard let regex else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
