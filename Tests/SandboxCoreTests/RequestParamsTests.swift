import Testing
import HTTPServer
@testable import SandboxCore

/// Parameters as Rails and Laravel merge them: the query, then a form or JSON body on top.
@Suite struct RequestParamsTests {
    private func params(_ target: String, body: String = "", contentType: String? = nil) throws -> RequestParams {
        var request = HTTPRequest(method: "POST", target: target, body: Array(body.utf8))
        if let contentType { request.headers.set("Content-Type", contentType) }
        return try RequestParams(request)
    }

    @Test func theBodyOverridesTheQuery() throws {
        let form = try params("/x?a=1&b=2", body: "b=3&c=x+y", contentType: "application/x-www-form-urlencoded")
        #expect(form.string("a") == "1" && form.string("b") == "3" && form.string("c") == "x y")
        #expect(!form.isJSON)
        let json = try params("/x?a=1&b=2", body: #"{"b":3,"t":true,"n":null,"arr":[1]}"#)
        #expect(json.string("a") == "1" && json.string("b") == "3" && json.string("t") == "true")
        #expect(json.isJSON && json.raw("b") == 3 && json.raw("arr") == [1])
        #expect(json.string("n") == nil && json.has("n") && !json.has("missing"))
    }

    /// curl -d sends JSON labelled as a form: a body that opens with `{` is JSON.
    @Test func jsonLabelledAsAForm() throws {
        let p = try params("/x", body: #" {"a":"b"}"#, contentType: "application/x-www-form-urlencoded")
        #expect(p.string("a") == "b" && p.isJSON)
    }

    @Test func blankIsAbsent() throws {
        let p = try params("/x?a=&b=%20%20")
        #expect(p.string("a") == nil && p.string("b") == nil && p.has("a"))
    }

    @Test(arguments: [#"{"a":"#, "[1]", #"{"a":1}x"#])
    func aBodyThatIsNotAnObjectIsRefused(body: String) {
        #expect(throws: RequestParams.BodyError.self) { try params("/x", body: body, contentType: "application/json") }
    }
}
