import Testing
import HTTPServer

@Suite struct AbsoluteURLTests {
    @Test(arguments: ["http://example.com", "HTTPS://Example.com/cb?x=1", "http://user@host:8080/", "http://a@b@c", "https://127.0.0.1"])
    func accepted(_ url: String) { #expect(isAbsoluteHTTPURL(url)) }

    @Test(arguments: ["", "http://", "http:///path", "http://@", "http://user@:80/", "ftp://example.com", "example.com",
                      "http://exa mple.com", "http://example.com/\n", "http://example.com/\u{2028}", "http://example.com/\r\n", "htt://x", "htt\u{E9}://x", "http\u{1F600}//x", "h"])
    func refused(_ url: String) { #expect(!isAbsoluteHTTPURL(url)) }

    @Test func spacesAndLineBreaks() {
        #expect(!containsSpaceOrLineBreak("a-b_c"))
        for text in ["a b", "a\nb", "a\rb", "a\u{0B}b", "a\u{0C}b", "a\u{85}b", "a\u{2029}b"] { #expect(containsSpaceOrLineBreak(text)) }
    }
}
