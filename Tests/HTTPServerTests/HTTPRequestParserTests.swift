import Testing
@testable import HTTPServer

/// Feeds `text` to a parser (all at once, or byte by byte) and collects what it returns.
private func parse(_ text: String, byteAtATime: Bool = false, limits: HTTPParserLimits = HTTPParserLimits())
    -> (requests: [HTTPRequest], continues: Int, error: HTTPParseError?) {
    var parser = HTTPRequestParser(limits: limits)
    var requests: [HTTPRequest] = []
    var continues = 0
    let bytes = Array(text.utf8)
    let chunks: [[UInt8]] = byteAtATime ? bytes.map { [$0] } : [bytes]
    do {
        for chunk in chunks {
            parser.append(chunk)
            while let event = try parser.next() {
                switch event {
                case .request(let r): requests.append(r)
                case .continueExpected: continues += 1
                }
            }
        }
    } catch {
        return (requests, continues, error)
    }
    return (requests, continues, nil)
}

@Suite struct HTTPRequestParserTests {
    /// Names compare ignoring ASCII case only: letters fold, other bytes that differ by the same
    /// bit (`[` and `{`) do not, nor do non-ASCII letters; a name made from a slice compares too.
    @Test func headerNamesCompareIgnoringASCIICaseOnly() {
        #expect("Authorization".equalsIgnoringASCIICase("aUTHORIZATION"))
        #expect(!"X-[a]".equalsIgnoringASCIICase("x-{a}"))
        #expect(!"Ä".equalsIgnoringASCIICase("ä"))
        #expect("Ä".equalsIgnoringASCIICase("Ä"))
        #expect(!"Host".equalsIgnoringASCIICase("Hosts"))
        let line = "Content-Type: text/plain"
        #expect(String(line.prefix(12)).equalsIgnoringASCIICase("content-type"))
        var headers = HTTPHeaders()
        headers.add("AUTHORIZATION", "Basic x")
        #expect(headers["authorization"] == "Basic x")
        #expect(headers["authorisation"] == nil)
    }

    @Test func simpleGet() throws {
        let result = parse("GET /a/b?x=1&y=two+words&z=%C3%A9 HTTP/1.1\r\nHost: localhost\r\nX-Thing:  v  \r\n\r\n")
        #expect(result.error == nil)
        let request = try #require(result.requests.first)
        #expect(request.method == "GET")
        #expect(request.path == "/a/b")
        #expect(request.query["x"] == "1")
        #expect(request.query["y"] == "two words")
        #expect(request.query["z"] == "é")
        #expect(request.headers["x-thing"] == "v")
        #expect(request.headers["HOST"] == "localhost")
        #expect(request.version == .http11)
        #expect(request.keepAlive)
    }

    @Test func byteAtATimeEqualsAllAtOnce() {
        let text = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        let a = parse(text), b = parse(text, byteAtATime: true)
        #expect(a.requests.count == 1 && b.requests.count == 1)
        #expect(a.requests.first?.body == Array("hello".utf8))
        #expect(b.requests.first?.body == Array("hello".utf8))
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let text = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
        for byByte in [false, true] {
            let result = parse(text, byteAtATime: byByte)
            #expect(result.requests.map(\.target) == ["/1", "/2", "/3"])
            #expect(result.requests[1].bodyString == "ok")
        }
    }

    @Test func repeatedHeadersAreKept() {
        let result = parse("GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\naccept: b\r\n\r\n")
        #expect(result.requests.first?.headers.values("Accept") == ["a", "b"])
    }

    @Test func chunkedBody() {
        let text = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
        for byByte in [false, true] {
            let result = parse(text, byteAtATime: byByte)
            #expect(result.error == nil)
            #expect(result.requests.first?.bodyString == "hello world")
        }
    }

    @Test func expectContinueIsSignalledOnceBeforeTheBody() {
        var parser = HTTPRequestParser()
        parser.append(Array("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        guard case .continueExpected = try? parser.next() else { Issue.record("expected continue"); return }
        #expect((try? parser.next()) == nil)
        parser.append(Array("abc".utf8))
        guard case .request(let request) = try? parser.next() else { Issue.record("expected request"); return }
        #expect(request.bodyString == "abc")
    }

    @Test func http10ClosesUnlessKeepAlive() {
        let plain = parse("GET / HTTP/1.0\r\n\r\n").requests.first
        #expect(plain?.keepAlive == false)
        let kept = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").requests.first
        #expect(kept?.keepAlive == true)
        let closed = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").requests.first
        #expect(closed?.keepAlive == false)
    }

    @Test func absoluteFormAndLeadingEmptyLines() {
        let result = parse("\r\nGET http://user:pw@example.com:8080/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(result.requests.first?.target == "/p?q=1")
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET /\r\nHost: h\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET nopath HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", 413),
    ])
    func malformedInputIsRejected(text: String, status: Int) {
        let result = parse(text)
        #expect(result.error?.status == status, "\(text.debugDescription)")
        #expect(result.requests.isEmpty)
    }

    @Test func limits() {
        let longTarget = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(parse(longTarget).error == .uriTooLong)
        // Without the end of the line yet: rejected as soon as the limit is passed.
        #expect(parse("GET /" + String(repeating: "a", count: 9000)).error == .uriTooLong)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X-Filler: " + String(repeating: "b", count: 100) + "\r\n", count: 200) + "\r\n"
        #expect(parse(manyHeaders).error == .headersTooLarge)
        let small = HTTPParserLimits(maxBodyBytes: 10)
        #expect(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: small).error == .payloadTooLarge)
        let chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
        #expect(parse(chunked, limits: small).error == .payloadTooLarge)
    }

    @Test func partialInputNeedsMoreAndIsMidRequest() throws {
        var parser = HTTPRequestParser()
        #expect(!parser.isMidRequest)
        parser.append(Array("GET / HT".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.isMidRequest)
    }
}

extension HTTPRequestParser.Event: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.continueExpected, .continueExpected): return true
        case let (.request(x), .request(y)): return x.target == y.target && x.body == y.body
        default: return false
        }
    }
}
