import Foundation
import Testing
import HTTPServer
import SandboxCore
import SandboxResources
import TestSupport
@testable import Alphacomm

@Suite struct AlphacommOpenAPITests {
    @Test func theDocumentNamesExactlyTheRoutesAndMatchesResponses() throws {
        let test = try TestSandbox(providers: [AlphacommProvider()])
        let client = try test.client()
        let document = try client.request("GET", "/_sandbox/openapi/alphacomm.json")
        #expect(document.status == 200)
        #expect(OpenAPICheck.operations(document.json) == Set(test.sandbox.providerRouter(AlphacommProvider()).table))
        let example = try Examples.json("Alphacomm/create-request.json")

        var checks: [(String, JSON)] = [("#/components/schemas/CreateRequest", example)]
        func check(_ schema: String, _ response: TestResponse) { checks.append(("#/components/schemas/\(schema)", response.json)) }
        let token = try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials")
        check("Token", token)
        check("Error", try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=x&grant_type=client_credentials"))
        let auth = [("Authorization", "Bearer \(token.json["access_token"]?.stringValue ?? "")")]
        check("Created", try client.request("POST", "/alphacomm/api/paypal/create", headers: auth, json: example))
        check("Error", try client.request("POST", "/alphacomm/api/paypal/create", headers: auth, json: ["paymentId": 1]))
        check("Error", try client.request("POST", "/alphacomm/api/paypal/create", json: example))
        let id = example["paymentId"]?.stringValue ?? ""
        check("PaymentState", try client.request("GET", "/alphacomm/api/paypal/status/\(id)", headers: auth))
        check("Error", try client.request("GET", "/alphacomm/api/paypal/capture/\(id)", headers: auth))
        _ = try client.request("POST", "/_sandbox/payments/alphacomm/\(id)/outcome", json: ["outcome": "success"])
        check("PaymentState", try client.request("GET", "/alphacomm/api/paypal/capture/\(id)", headers: auth))
        check("Error", try client.request("GET", "/alphacomm/api/paypal/status/nope", headers: auth))
        let (status, text) = try OpenAPICheck.validate(document: document.body, checks)
        #expect(status == 0, "\(text)")
        #expect(text.contains("0 violations"), "\(text)")
    }

    /// The document's CreateRequest is the validation schema with each named format written
    /// out: the code tables as enums, the others as patterns that accept exactly what the
    /// server's check accepts (on these samples), so a generator's valid data is valid here.
    @Test func theDocumentWritesOutTheServersFormats() throws {
        let test = try TestSandbox(providers: [AlphacommProvider()])
        let document = try test.client().request("GET", "/_sandbox/openapi/alphacomm.json").json
        let validation = try JSON.parse(try #require(SandboxResources.data("schemas/alphacomm-paypal-create.json")))
        let samples: [String: [String]] = [
            "uuid-v4-v5": ["a3b2c1d0-1234-4abc-8def-0123456789ab", "A3B2C1D0-1234-5ABC-BDEF-0123456789AB",
                           "a3b2c1d0-1234-3abc-8def-0123456789ab", "a3b2c1d0-1234-4abc-cdef-0123456789ab", "a3b2c1d0123444abc8def0123456789ab"],
            "absolute-url": ["https://shop.example/back", "http://[::1]:8080/", "ftp://x", "http://a]/", "https://x/ y"],
            "email": ["a@b.c", "a@b", "@b.c", "a@.b", "a@b.", "a b@c.d", "a@b@c.d", "a\t@b.c", "é@ü.de", "a@b..c", "a@b.c\n"],
            "ip-address": ["1.2.3.4", "01.2.3.4", "256.1.1.1", "::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
                           "1::2:3:4:5:6:7:8", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::1.2.3.4",
                           "fe80::1%eth0", "12345::", ":1::", "1:::2", "1.2.3", "a:b:c:d:e:f:1.2.3.04"],
            "iso8601-datetime": ["2016-11-22T11:39:21+0100", "2016-01-01 13:56:48", "2024-02-29T00:00Z", "2023-02-29T00:00Z",
                                 "2000-02-29T00:00", "1900-02-29T00:00", "2016-11-22T11:39:60Z", "2016-11-22T11:39:21.5+01:00",
                                 "2016-11-22T11:39:21+01", "2016-11-22T11:39:21+1", "2016-11-31T00:00", "2016-11-22t11:39",
                                 "2016-11-22", "2016-04-30T24:00"],
            "numeric": ["1", "-1", "1.5", ".5", "5.", "-.5", "+5", "1.2.3", "", "-", ".", " 1", "1e5", "007"],
        ]
        var formats: Set<String> = []
        func compare(_ rule: JSON, _ written: JSON, at path: String) throws {
            switch (rule, written) {
            case (.object(let members), .object):
                for (key, value) in members where key != "$schema" && key != "title" && key != "description" {
                    if key == "format", let format = value.stringValue, let check = AlphacommSchema.formats[format] {
                        formats.insert(format)
                        if let values = written["enum"]?.arrayValue {
                            #expect(Set(values.compactMap(\.stringValue)) == AlphacommSchema.table(format), "\(path)")
                            continue
                        }
                        let pattern = try NSRegularExpression(pattern: try #require(written["pattern"]?.stringValue, "\(path)"))
                        for text in try #require(samples[format]) {
                            let whole = NSRange(text.startIndex..., in: text)
                            let matched = pattern.firstMatch(in: text, range: whole)?.range == whole
                            #expect(matched == check(text), "\(path) \(format): \(text)")
                        }
                        #expect(written["format"] == nil, "\(path)")
                    } else {
                        try compare(value, try #require(written[key], "\(path)/\(key)"), at: path + "/" + key)
                    }
                }
            case (.array(let items), .array(let others)):
                #expect(items.count == others.count, "\(path)")
                for (index, (item, other)) in zip(items, others).enumerated() { try compare(item, other, at: "\(path)/\(index)") }
            default: #expect(rule == written, "\(path)")
            }
        }
        try compare(validation, try #require(document["components"]?["schemas"]?["CreateRequest"]), at: "CreateRequest")
        #expect(formats == Set(AlphacommSchema.formats.keys))
    }
}
