import Foundation
import Testing
import HTTPServer
@testable import SandboxCore

@Suite struct TemplateTests {
    @Test func valuesAreEscapedUnlessTripleBraced() throws {
        let template = try Template("<p>{{name}}</p>{{{svg}}}<a title=\"{{name}}\">")
        let out = template.render(["name": "<b>\"Tom\" & 'Jerry'</b>", "svg": "<svg></svg>"])
        #expect(out == "<p>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;</p><svg></svg><a title=\"&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;\">")
    }

    @Test func sectionsRepeatListsShowTruthsAndInvert() throws {
        let template = try Template("{{#items}}[{{name}}:{{price}}]{{/items}}{{^items}}none{{/items}}|{{#open}}open{{/open}}{{^open}}closed{{/open}}|{{#who}}{{first}} {{last}}{{/who}}|{{a.b.c}}|{{! a comment }}{{missing}}")
        let full: JSON = ["items": [["name": "x", "price": 1], ["name": "y", "price": 2]], "open": true,
                          "who": ["first": "Ada", "last": "L"], "a": ["b": ["c": "deep"]]]
        #expect(template.render(full) == "[x:1][y:2]|open|Ada L|deep|")
        #expect(template.render(["items": [], "open": false, "who": nil]) == "none|closed|||")
        #expect(template.render(["items": "", "open": ""]) == "none|closed|||")
    }

    @Test func innerNamesShadowOuterOnesAndOuterOnesStayVisible() throws {
        let template = try Template("{{#lines}}{{name}}@{{shop}};{{/lines}}{{#tags}}<{{.}}>{{/tags}}")
        #expect(template.render(["shop": "S", "name": "outer", "lines": [["name": "a"], ["name": "b"]], "tags": ["t1", "t2"]]) == "a@S;b@S;<t1><t2>")
    }

    @Test func brokenTemplatesAreRefusedWithTheReason() {
        for source in ["{{#a}}never closed", "{{/a}}", "{{#a}}{{/b}}", "{{name", "{{{raw}}", "{{}}"] {
            #expect(throws: TemplateError.self, "\(source)") { try Template(source) }
        }
    }

    /// Every template shipped in Resources/templates parses.
    @Test func everyShippedTemplateParses() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Resources/templates").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".html") }
        #expect(names.count >= 10)
        for name in names {
            #expect(throws: Never.self, "\(name)") { _ = try SandboxPage.template(String(name.dropLast(5))) }
        }
    }

    @Test func pagesAreWrappedInTheLayoutAndABrokenNameIsA500() {
        let page = SandboxPage.message("Hello <you>", "It's <here>", status: 404)
        let text = String(decoding: page.body, as: UTF8.self)
        #expect(page.status == 404)
        #expect(text.hasPrefix("<!doctype html>"))
        #expect(text.contains("<title>Hello &lt;you&gt; · PaySandbox</title>"))
        #expect(text.contains("<p>It&#39;s &lt;here&gt;</p>"))
        #expect(text.contains("no money moves"))
        #expect(SandboxPage.render("no-such-template", title: "x").status == 500)
    }
}
