import HTTPServer
import Testing
@testable import SandboxCore

@Suite struct JSONSchemaTests {
    let schema = JSONSchema(schema: [
        "type": "object",
        "required": ["a", "b", "d"],
        "properties": [
            "a": ["type": "integer"],
            "c": ["type": "string"],
            "n": ["type": "object", "required": ["x"], "additionalProperties": false, "properties": ["x": ["type": ["string", "null"]]]],
        ],
    ])

    /// Missing required names come first, in the schema's order, then each member's own
    /// violations in the instance's order; a required name without a property schema counts.
    @Test func requiredBeforeMembers() {
        let violations = schema.validate(["c": 1, "a": .number("1.5"), "n": ["y": 1]])
        #expect(violations.map(\.constraint) == ["required", "required", "type", "type", "required", "additionalProperties"])
        #expect(violations.map(\.property) == ["b", "d", "c", "a", "n.x", "n.y"])
    }

    @Test func allPresentIsValid() {
        #expect(schema.validate(["a": 1, "b": "anything", "d": [1], "n": ["x": .null]]).isEmpty)
        // A repeated member does not stand in for a missing one.
        #expect(schema.validate(.object([("a", 1), ("a", 2), ("b", 1)])).map(\.property) == ["d"])
    }

    /// An integer is a number with no fractional part, however written (JSON Schema since
    /// draft 6; schemathesis sends `5830.0` for one).
    @Test func integersAreWholeNumbersHoweverWritten() {
        for text in ["2000", "2000.0", "2e3", "-0.0", "1e30"] {
            #expect(schema.validate(["a": .number(text), "b": 1, "d": 1]).isEmpty, "\(text)")
        }
        for text in ["20.5", "1e-3", "1.0000001"] {
            #expect(schema.validate(["a": .number(text), "b": 1, "d": 1]).map(\.constraint) == ["type"], "\(text)")
        }
    }
}
