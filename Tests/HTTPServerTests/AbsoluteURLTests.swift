import Foundation
import Testing
import HTTPServer

@Suite struct AbsoluteURLTests {
    static let accepted = [
        "http://example.com", "HTTPS://Example.com/cb?x=1", "http://user@host:8080/", "http://a@b@c", "https://127.0.0.1",
        "http://[::1]:8080/cb", "http://[2001:db8::ff00:42:8329]", "http://[1:2:3:4:5:6:7:8]/", "http://[::]",
        "http://h:/", "http://us%20er:pw@h%41st#frag", "https://x.test/ä ö".replacingOccurrences(of: " ", with: "")
    ]
    static let refused = [
        "", "http://", "http:///path", "http://@", "http://user@:80/", "ftp://example.com", "example.com",
        "http://exa mple.com", "http://example.com/\n", "http://example.com/\u{2028}", "http://example.com/\r\n",
        "htt://x", "htt\u{E9}://x", "http\u{1F600}//x", "h",
        // Hosts a browser (or Python's urlsplit) cannot read: brackets that are no IPv6
        // address, characters no host may hold, a port that is no number.
        "http://a]*\"/", "http://[::1/", "http://[1::2::3]/", "http://[1:2:3:4:5:6:7:8:9]", "http://[::1]x",
        "http://x\u{FF03}y/", "http://h\u{E9}/", "http://h:8a/", "http://%zz/", "http://a<b/", "http://us\u{E9}r@h/"
    ]

    @Test(arguments: accepted) func accepts(_ url: String) { #expect(isAbsoluteHTTPURL(url)) }

    @Test(arguments: refused) func refuses(_ url: String) { #expect(!isAbsoluteHTTPURL(url)) }

    /// The OpenAPI documents' pattern says what the function does, and the documents carry it.
    @Test func thePatternIsTheRule() throws {
        let pattern = try NSRegularExpression(pattern: absoluteHTTPURLPattern)
        for url in Self.accepted + Self.refused {
            // `$` is the input's end as ECMAScript reads it (ICU's would also match before a last line break).
            let whole = NSRange(url.startIndex..., in: url)
            let matched = pattern.firstMatch(in: url, range: whole)?.range == whole
            #expect(matched == isAbsoluteHTTPURL(url), "\(url)")
        }
    }

    /// Every URL pattern in the OpenAPI documents is this rule (or this rule or nothing).
    @Test func theDocumentsStateTheRule() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Resources/openapi").standardized
        let optional = "^(" + absoluteHTTPURLPattern.dropFirst().dropLast() + ")?$"
        var found = 0
        func visit(_ value: JSON) {
            switch value {
            case .object(let members):
                for (key, member) in members {
                    if key == "pattern", let text = member.stringValue, text.hasPrefix("^[Hh]") || text.hasPrefix("^([Hh]") {
                        found += 1
                        #expect(text == absoluteHTTPURLPattern || text == optional, "\(text)")
                    }
                    visit(member)
                }
            case .array(let items): items.forEach(visit)
            default: break
            }
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".json") {
            visit(try JSON.parse(Array(try Data(contentsOf: folder.appendingPathComponent(name)))))
        }
        #expect(found >= 11)
    }

    @Test func spacesAndLineBreaks() {
        #expect(!containsSpaceOrLineBreak("a-b_c"))
        for text in ["a b", "a\nb", "a\rb", "a\u{0B}b", "a\u{0C}b", "a\u{85}b", "a\u{2029}b"] { #expect(containsSpaceOrLineBreak(text)) }
    }
}
