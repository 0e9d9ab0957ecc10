import Testing
@testable import HTTPServer

private func request(_ method: String, _ target: String) -> HTTPRequest {
    HTTPRequest(method: method, target: target)
}

@Suite struct RouterTests {
    let router: Router = {
        var inner = Router()
        inner.get("/api/v1/:reseller/:key/options") { r in
            .text("\(r.parameters["reseller"] ?? "")|\(r.parameters["key"] ?? "")|\(r.mountPrefix)|\(r.mountURL)")
        }
        inner.post("/api/v1/:reseller/:key/options") { _ in .text("posted") }
        inner.notFound = { _ in .json(["error": "provider 404"], status: 404) }
        var outer = Router()
        outer.mount("/payxtoday", inner)
        outer.get("/") { _ in .text("root") }
        outer.get("/boom") { _ in throw TestFailure() }
        return outer
    }()

    struct TestFailure: Error {}

    @Test(arguments: [("Application/JSON; charset=utf-8", "application/json"), (" text/plain ", "text/plain"),
                      ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"), (";", ""), ("", "")])
    func mediaTypeIsTheLowercasedTypeBeforeItsParameters(header: String, type: String) {
        var r = request("POST", "/")
        r.headers.add("Content-Type", header)
        #expect(r.mediaType == type)
        #expect(request("POST", "/").mediaType == nil)
    }

    @Test func parametersAndMountPrefix() async {
        var r = request("GET", "/payxtoday/api/v1/1/se%20cret/options?x=1")
        r.headers.add("Host", "localhost:8080")
        let response = await router.respond(to: r)
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "1|se cret|/payxtoday|http://localhost:8080/payxtoday")
    }

    @Test func forwardedHeadersShapeTheBaseURL() async {
        var r = request("GET", "/payxtoday/api/v1/1/k/options")
        r.headers.add("Host", "internal:8080")
        r.headers.add("X-Forwarded-Proto", "https")
        r.headers.add("X-Forwarded-Host", "pay.example.com")
        #expect(String(decoding: await router.respond(to: r).body, as: UTF8.self).hasSuffix("https://pay.example.com/payxtoday"))
    }

    /// Regression: `X-Forwarded-Host: ,` (or an empty one) indexed an empty split and
    /// crashed the server on every call that hands out a URL.
    @Test(arguments: [(",", ",", "http://internal:8080"), ("", "", "http://internal:8080"), (" , https", " ,a.example, b", "https://a.example"),
                      ("javascript", "x.example", "http://x.example"), ("HTTPS", "", "https://internal:8080")])
    func emptyOrOddForwardedHeadersFallBack(proto: String, host: String, base: String) async {
        var r = request("GET", "/payxtoday/api/v1/1/k/options")
        r.headers.add("Host", "internal:8080")
        r.headers.add("X-Forwarded-Proto", proto)
        r.headers.add("X-Forwarded-Host", host)
        #expect(String(decoding: await router.respond(to: r).body, as: UTF8.self).hasSuffix(base + "/payxtoday"))
    }

    @Test func notFoundUsesTheMountsShape() async {
        let response = await router.respond(to: request("GET", "/payxtoday/nope"))
        #expect(response.status == 404)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":"provider 404"}"#)
        #expect(await router.respond(to: request("GET", "/elsewhere")).status == 404)
    }

    @Test func methodNotAllowedListsAllow() async {
        let response = await router.respond(to: request("DELETE", "/payxtoday/api/v1/1/k/options"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, POST, HEAD, OPTIONS")
    }

    @Test func headFallsBackToGetAndOptionsAnswersAllow() async {
        #expect(await router.respond(to: request("HEAD", "/")).status == 200)
        let options = await router.respond(to: request("OPTIONS", "/payxtoday/api/v1/1/k/options"))
        #expect(options.status == 204)
        #expect(options.headers["Allow"]?.contains("POST") == true)
    }

    @Test func thrownErrorsBecome500() async {
        #expect(await router.respond(to: request("GET", "/boom")).status == 500)
    }

    @Test func routeTableNamesMounts() async {
        #expect(router.table.contains("GET /payxtoday/api/v1/:reseller/:key/options"))
    }
}
