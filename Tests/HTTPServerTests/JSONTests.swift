import Testing
@testable import HTTPServer

@Suite struct JSONTests {
    @Test func roundTripKeepsOrderAndNumberText() throws {
        let text = #"{"b":1,"a":[true,false,null,"x\"y\\z\n"],"amount":10.50,"big":123456789012345678901234,"e":1e-7}"#
        let value = try JSON.parse(text)
        #expect(value.serialized() == text)
        #expect(value["b"]?.intValue == 1)
        #expect(value["amount"] == .number("10.50"))
        #expect(value["big"]?.intValue == nil)
        #expect(value["a"]?[3]?.stringValue == "x\"y\\z\n")
    }

    /// A whole number however written is an integer (JSON Schema's and PHP's reading); a
    /// fraction, or a number beyond Int, is not.
    @Test(arguments: [("5", 5), ("5.0", 5), ("5e0", 5), ("-1.50e2", -150), ("1E3", 1000), ("0.0", 0), ("-0", 0),
                      ("120e-1", 12), ("0.000e5", 0), ("9223372036854775807", Int.max), ("92233720368547758.07e2", Int.max)])
    func wholeNumbersAreIntegers(text: String, value: Int) {
        #expect(JSON.number(text).intValue == value)
    }

    @Test(arguments: ["5.5", "1e-1", "125e-2", "1e19", "9223372036854775808", "1e400", "12e99999999999", "-", "1.", ".5e1"])
    func fractionsAndHugeNumbersAreNot(text: String) {
        #expect(JSON.number(text).intValue == nil)
    }

    @Test func unicodeEscapes() throws {
        #expect(try JSON.parse(#""\u00e9\ud83d\ude00""#) == .string("é😀"))
        #expect(JSON.string("\u{1}").serialized() == #""\u0001""#)
        #expect(JSON.string("a/b").serialized() == #""a/b""#)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", "-", "+1", ".5", "tru", "nul",
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud800\"", "[1] 2", "{\"a\" 1}", "\"tab\there\"", "NaN",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func nestingIsLimited() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSON.parse(ok)) != nil)
    }

    @Test func invalidUTF8IsRejected() throws {
        #expect(throws: JSONParseError.self) { try JSON.parse([34, 0xFF, 34]) }
        // Before and after an escape (strings with an escape are built byte by byte).
        #expect(throws: JSONParseError.self) { try JSON.parse([34, 0xC3, 92, 110, 34]) }
        #expect(throws: JSONParseError.self) { try JSON.parse([34, 97, 92, 110, 0xFF, 34]) }
        #expect(try JSON.parse([34, 0xC3, 0xA9, 92, 110, 0xC3, 0xA9, 34]) == .string("é\né"))
        #expect(try JSON.parse(Array("\"tab\\there\\u00e9 \\\\ end\"".utf8)) == .string("tab\there\u{e9} \\ end"))
    }
}
