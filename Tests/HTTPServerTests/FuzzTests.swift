import Testing
@testable import HTTPServer
import SandboxCore

/// A small, seeded mutation fuzzer over the parsers (no sockets): valid requests and JSON
/// documents, bit-flipped, spliced, cut and fed in random pieces. Every input must end in
/// requests, an error, or a wait for more bytes — never a crash, never a loop, never a
/// body past the limit. `PAYSANDBOX_FUZZ_ITERATIONS` runs it longer.
@Suite struct FuzzTests {
    typealias Generator = SplitMix64

    static var iterations: Int {
        #if canImport(Glibc)
        if let text = getenv("PAYSANDBOX_FUZZ_ITERATIONS").map({ String(cString: $0) }), let n = Int(text) { return n }
        #endif
        return 20_000
    }

    static let requestSeeds: [[UInt8]] = [
        "GET /a/b?x=1&y=%41+b HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"amount\":10}",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\n",
        "PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n",
        "GET http://u:p@h:1/p?q HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
    ].map { Array($0.utf8) }

    static let jsonSeeds: [[UInt8]] = [
        #"{"a":[1,2.5e-3,true,false,null,"x\u00e9\ud83d\ude00\n"],"b":{"c":{}}}"#,
        #"[{"paymentId":"31e5fa51-2475-455d-b0ad-5febd25434c5","amount":2000,"lines":[{"q":"2"}]}]"#,
        #""\\\"\/\b\f\n\r\t""#,
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ g: inout Generator, pool: [[UInt8]]) -> [UInt8] {
        var bytes = input
        for _ in 0 ..< Int.random(in: 1 ... 6, using: &g) {
            switch Int.random(in: 0 ..< 7, using: &g) {
            case 0 where !bytes.isEmpty: bytes[Int.random(in: 0 ..< bytes.count, using: &g)] ^= UInt8(1 << Int.random(in: 0 ..< 8, using: &g))
            case 1: bytes.insert(UInt8.random(in: 0 ... 255, using: &g), at: Int.random(in: 0 ... bytes.count, using: &g))
            case 2 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0 ..< bytes.count, using: &g))
            case 3:
                let other = pool[Int.random(in: 0 ..< pool.count, using: &g)]
                let cut = Int.random(in: 0 ... bytes.count, using: &g)
                bytes = Array(bytes[..<cut]) + Array(other[Int.random(in: 0 ... other.count, using: &g)...])
            case 4:
                let tokens = ["\r\n", "\n", ":", " ", "\0", "chunked", "Content-Length: 99999999999", "FFFFFFFFFFFFFFFFF", "\u{ff}", "{", "[", "\""]
                let token = Array(tokens[Int.random(in: 0 ..< tokens.count, using: &g)].utf8)
                bytes.insert(contentsOf: token, at: Int.random(in: 0 ... bytes.count, using: &g))
            case 5 where bytes.count > 1: bytes = Array(bytes[..<Int.random(in: 0 ..< bytes.count, using: &g)])
            default:
                if !bytes.isEmpty {
                    let i = Int.random(in: 0 ..< bytes.count, using: &g)
                    bytes.insert(contentsOf: [UInt8](repeating: bytes[i], count: Int.random(in: 1 ... 64, using: &g)), at: i)
                }
            }
        }
        return bytes
    }

    @Test func theRequestParserSurvivesMutatedInput() {
        var g = Generator(seed: 0xC0FFEE)
        let limits = HTTPParserLimits(maxRequestLine: 512, maxHeaderBytes: 1024, maxBodyBytes: 4096)
        var outcomes = [0, 0, 0]
        for _ in 0 ..< Self.iterations {
            let input = Self.mutate(Self.requestSeeds[Int.random(in: 0 ..< Self.requestSeeds.count, using: &g)], &g, pool: Self.requestSeeds)
            var parser = HTTPRequestParser(limits: limits)
            var offset = 0
            var failed = false
            var requests = 0
            var steps = 0
            while offset < input.count && !failed {
                let take = min(input.count - offset, Int.random(in: 1 ... 64, using: &g))
                parser.append(Array(input[offset ..< offset + take]))
                offset += take
                do {
                    while let event = try parser.next() {
                        steps += 1
                        if steps > 10_000 { Issue.record("parser looped on \(input)"); return }
                        if case .request(let r) = event {
                            requests += 1
                            #expect(r.body.count <= limits.maxBodyBytes)
                        }
                    }
                } catch {
                    failed = true
                    #expect([400, 413, 414, 431, 501, 505].contains(error.status))
                }
            }
            outcomes[failed ? 0 : requests > 0 ? 1 : 2] += 1
        }
        // The mix shows the fuzzer reaches all three ends: error, requests, waiting.
        #expect(outcomes.allSatisfy { $0 > 0 }, "\(outcomes)")
    }

    @Test func theJSONParserSurvivesMutatedInput() {
        var g = Generator(seed: 0xBEEF)
        var parsed = 0
        for _ in 0 ..< Self.iterations {
            let input = Self.mutate(Self.jsonSeeds[Int.random(in: 0 ..< Self.jsonSeeds.count, using: &g)], &g, pool: Self.jsonSeeds)
            if let value = try? JSON.parse(input) {
                parsed += 1
                // What parses serializes and parses back to the same value.
                #expect((try? JSON.parse(value.serializedBytes())) == value)
            }
        }
        #expect(parsed > 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
