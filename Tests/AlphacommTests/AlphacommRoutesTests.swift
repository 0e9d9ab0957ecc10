import Foundation
import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import Alphacomm

/// The documented example request (Tests/Fixtures/Alphacomm/create-request.json).
private let example = Examples.alphacommCreateRequest

/// `json` with the value at `path` replaced (nil removes it).
private func setting(_ json: JSON, _ path: [String], _ value: JSON?) -> JSON {
    guard let first = path.first else { return value ?? .null }
    switch json {
    case .object(var members):
        let rest = Array(path.dropFirst())
        if let i = members.firstIndex(where: { $0.0 == first }) {
            if rest.isEmpty && value == nil { members.remove(at: i) } else { members[i].1 = setting(members[i].1, rest, value) }
        } else if let value {
            members.append((first, rest.isEmpty ? value : setting([:], rest, value)))
        }
        return .object(members)
    case .array(var items):
        guard let index = Int(first), items.indices.contains(index) else { return json }
        let rest = Array(path.dropFirst())
        if rest.isEmpty && value == nil { items.remove(at: index) } else { items[index] = setting(items[index], rest, value) }
        return .array(items)
    default:
        return json
    }
}

private struct Fixture {
    let test: TestSandbox
    let client: TestClient
    let token: String

    init(client id: String = "sandbox", secret: String = "sandbox-secret") throws {
        test = try TestSandbox(providers: [AlphacommProvider()])
        client = try test.client()
        token = try #require(try client.request("GET", "/alphacomm/oauth/v2/token?client_id=\(id)&client_secret=\(secret)&grant_type=client_credentials").json["access_token"]?.stringValue)
    }

    func create(_ body: JSON, token: String? = nil, headers: [(String, String)] = []) throws -> TestResponse {
        try client.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(token ?? self.token)")] + headers, json: body)
    }

    func get(_ path: String, token: String? = nil) throws -> TestResponse {
        try client.request("GET", "/alphacomm/api/paypal/" + path, headers: [("Authorization", "Bearer \(token ?? self.token)")])
    }

    func newExample(_ uuid: String = "0f8fad5b-d9cb-469f-a165-70867728950e", autoCapture: Bool = false) -> JSON {
        setting(setting(example, ["paymentId"], .string(uuid)), ["autoCapture"], .bool(autoCapture))
    }

    func approve(_ id: String, _ decision: String = "approve") throws -> TestResponse {
        try client.request("POST", "/alphacomm/paypal/approve/\(id)", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                           body: Array("decision=\(decision)".utf8))
    }
}

private let paymentId = "31e5fa51-2475-455d-b0ad-5febd25434c5"

@Suite struct AlphacommRoutesTests {
    // MARK: token

    @Test func tokenAsDocumented() throws {
        let test = try TestSandbox(providers: [AlphacommProvider()])
        let response = try test.client().request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials")
        #expect(response.status == 200)
        guard case .object(let members) = response.json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["access_token"])
        let token = try #require(response.json["access_token"]?.stringValue)
        #expect(token.count == 86)
        #expect(Base64.decode(token).map { String(decoding: $0, as: UTF8.self) }?.allSatisfy(\.isHexDigit) == true)
    }

    @Test(arguments: [
        ("client_id=sandbox&client_secret=wrong&grant_type=client_credentials", 401, "invalid_client"),
        ("client_id=nobody&client_secret=sandbox-secret&grant_type=client_credentials", 401, "invalid_client"),
        ("client_id=sandbox&client_secret=sandbox-secret&grant_type=password", 400, "unsupported_grant_type"),
        ("client_id=sandbox&client_secret=sandbox-secret", 400, "invalid_request"),
        ("client_secret=sandbox-secret&grant_type=client_credentials", 400, "invalid_request"),
        ("client_id=sandbox&grant_type=client_credentials", 400, "invalid_request"),
        ("", 400, "invalid_request"),
    ])
    func badTokenRequests(query: String, status: Int, error: String) throws {
        let test = try TestSandbox(providers: [AlphacommProvider()])
        let response = try test.client().request("GET", "/alphacomm/oauth/v2/token?" + query)
        #expect(response.status == status)
        #expect(response.json["error"] == .string(error))
        #expect(response.json["error_description"]?.stringValue?.isEmpty == false)
    }

    @Test func tokensAreCheckedAndExpire() throws {
        let f = try Fixture()
        #expect(try f.client.request("POST", "/alphacomm/api/paypal/create", json: example).json["error"] == "access_denied")
        #expect(try f.create(example, token: "forged").status == 401)
        // Used once first: a cached token expires all the same.
        #expect(try f.get("status/0f8fad5b-d9cb-469f-a165-70867728950e").status == 404)
        _ = try f.client.advance(3600)
        let expired = try f.create(example)
        #expect(expired.status == 401)
        #expect(expired.json["error"] == "invalid_grant")
    }

    // MARK: create

    @Test func theDocumentedExampleIsAccepted() throws {
        let f = try Fixture()
        let response = try f.create(example)
        #expect(response.status == 200)
        #expect(response.json == ["paymentId": .string(paymentId), "state": "accepted",
                                  "redirectUrl": .string("http://localhost/alphacomm/paypal/approve/\(paymentId)")])
        // The same request again is the same payment; a different one with its id is refused.
        #expect(try f.create(example).json == response.json)
        let changed = try f.create(setting(example, ["transaction", "description"], "other"))
        #expect(changed.status == 409)
        #expect(changed.json["error"] == "conflict")
        #expect(try f.client.request("GET", "/_sandbox/payments/alphacomm/\(paymentId)").json["amount"] == "20.00")
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let path: [String]
        let value: JSON?
        let property: String
        let constraint: String
        init(_ path: String, _ value: JSON?, _ property: String, _ constraint: String) {
            self.path = path.split(separator: ".").map(String.init)
            self.value = value
            self.property = property
            self.constraint = constraint
        }
        var testDescription: String { "\(path.joined(separator: ".")) = \(value?.serialized() ?? "(removed)") → \(constraint)" }
    }

    static let invalidCases: [InvalidCase] = [
        InvalidCase("paymentId", nil, "paymentId", "required"),
        InvalidCase("paymentId", .string("not-a-uuid"), "paymentId", "format"),
        InvalidCase("paymentId", .string("31e5fa51-2475-155d-b0ad-5febd25434c5"), "paymentId", "format"),
        InvalidCase("paymentId", .string("31e5fa51-2475-455d-c0ad-5febd25434c5"), "paymentId", "format"),
        InvalidCase("paymentId", .number("42"), "paymentId", "type"),
        InvalidCase("returnUrl", nil, "returnUrl", "required"),
        InvalidCase("returnUrl", .string("www.alphacomm.nl"), "returnUrl", "format"),
        InvalidCase("returnUrl", .string("javascript:alert(1)"), "returnUrl", "format"),
        InvalidCase("companyName", nil, "companyName", "required"),
        InvalidCase("companyName", .string(""), "companyName", "minLength"),
        InvalidCase("logo", .string("/logo.png"), "logo", "format"),
        InvalidCase("autoCapture", .string("false"), "autoCapture", "type"),
        InvalidCase("autoCapture", nil, "autoCapture", "required"),
        InvalidCase("payer", nil, "payer", "required"),
        InvalidCase("payer", .string("Eric"), "payer", "type"),
        InvalidCase("payer.email", .string("reen-at-alphacomm.nl"), "payer.email", "format"),
        InvalidCase("payer.email", nil, "payer.email", "required"),
        InvalidCase("payer.country", .string("nl"), "payer.country", "format"),
        InvalidCase("payer.country", .string("XX"), "payer.country", "format"),
        InvalidCase("payer.country", .string("NLD"), "payer.country", "format"),
        InvalidCase("payer.language", .string("NL"), "payer.language", "format"),
        InvalidCase("payer.language", .string("xx"), "payer.language", "format"),
        InvalidCase("payer.ipAddress", .string("999.0.0.1"), "payer.ipAddress", "format"),
        InvalidCase("payer.phone", .string("0612345678"), "payer.phone", "pattern"),
        InvalidCase("payer.status", .string("vip"), "payer.status", "enum"),
        InvalidCase("payer.verificationStatus", .number("7"), "payer.verificationStatus", "enum"),
        InvalidCase("payer.verificationStatus", .bool(true), "payer.verificationStatus", "type"),
        InvalidCase("payer.dateRegistration", .string("yesterday"), "payer.dateRegistration", "format"),
        InvalidCase("payer.dateLastUpdated", .string("2016-13-01 13:56:48"), "payer.dateLastUpdated", "format"),
        InvalidCase("payer.cashBalance", .string("ten"), "payer.cashBalance", "format"),
        InvalidCase("payer.bonusBalance", .array([]), "payer.bonusBalance", "type"),
        InvalidCase("payer.withdrawalHistory", .string("none"), "payer.withdrawalHistory", "type"),
        InvalidCase("payer.withdrawalHistory.0.amount", .number("10000"), "payer.withdrawalHistory[0].amount", "type"),
        InvalidCase("payer.binaryHistory.0.id", nil, "payer.binaryHistory[0].id", "required"),
        InvalidCase("payer.forexHistory.0", .string("entry"), "payer.forexHistory[0]", "type"),
        InvalidCase("transaction", nil, "transaction", "required"),
        InvalidCase("transaction.currency", .string("EURO"), "transaction.currency", "format"),
        InvalidCase("transaction.currency", .string("eur"), "transaction.currency", "format"),
        InvalidCase("transaction.amount", .string("2000"), "transaction.amount", "type"),
        InvalidCase("transaction.amount", .number("20.5"), "transaction.amount", "type"),
        InvalidCase("transaction.amount", .number("0"), "transaction.amount", "minimum"),
        InvalidCase("transaction.reference", nil, "transaction.reference", "required"),
        InvalidCase("transaction.lines", .array([]), "transaction.lines", "minItems"),
        InvalidCase("transaction.lines.0.quantity", .number("2"), "transaction.lines[0].quantity", "type"),
        InvalidCase("transaction.lines.0.quantity", .string("two"), "transaction.lines[0].quantity", "pattern"),
        InvalidCase("transaction.lines.0.amount", .string("1000"), "transaction.lines[0].amount", "type"),
        InvalidCase("transaction.lines.0.sku", nil, "transaction.lines[0].sku", "required"),
        InvalidCase("transaction.amount", .number("2500"), "transaction.amount", "linesTotal"),
        // Found by schemathesis: amount × quantity beyond Int stopped the sandbox.
        InvalidCase("transaction.lines.0.amount", .number("9223372036854775807"), "transaction.amount", "linesTotal"),
    ]

    @Test(arguments: invalidCases)
    func invalidBodiesNameEachViolation(_ c: InvalidCase) throws {
        let (path, value, property, constraint) = (c.path, c.value, c.property, c.constraint)
        let f = try Fixture()
        let response = try f.create(setting(example, path, value))
        #expect(response.status == 400)
        #expect(response.json["error"] == "invalid_request")
        let errors = response.json["errors"]?.arrayValue ?? []
        #expect(errors.count == 1, "\(response.text)")
        #expect(errors.first?["property"] == .string(property))
        #expect(errors.first?["constraint"] == .string(constraint))
        #expect(errors.first?["pointer"]?.stringValue == "/" + property.replacingOccurrences(of: ".", with: "/").replacingOccurrences(of: "[", with: "/").replacingOccurrences(of: "]", with: ""))
        #expect(try f.client.request("GET", "/_sandbox/payments?provider=alphacomm").json["payments"] == [])
    }

    @Test func everyViolationIsListedNotJustTheFirst() throws {
        let f = try Fixture()
        var body = setting(example, ["payer", "email"], nil)
        body = setting(body, ["payer", "country"], "ZZ")
        body = setting(body, ["transaction", "lines", "0", "amount"], "x")
        body = setting(body, ["logo"], 5)
        let properties = try f.create(body).json["errors"]?.arrayValue?.compactMap { $0["property"]?.stringValue }
        #expect(Set(properties ?? []) == ["payer.email", "payer.country", "transaction.lines[0].amount", "logo"])
        #expect(try f.create(.array([])).json["errors"]?[0]?["constraint"] == "type")
        let notJSON = try f.client.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(f.token)"), ("Content-Type", "application/json")], body: Array("{".utf8))
        #expect(notJSON.status == 400)
        #expect(notJSON.json["error"] == "invalid_request")
    }

    // MARK: the life cycle

    @Test func approvalThroughThePageThenCapture() throws {
        let f = try Fixture()
        let created = try f.create(f.newExample())
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e"
        // Read once before the approval: a status poll is answered from a cache, which
        // the approval's write must empty.
        #expect(try f.get("status/\(id)").json["state"] == "accepted")
        let page = try f.client.request("GET", "/alphacomm/paypal/approve/\(id)")
        #expect(page.status == 200)
        #expect(page.text.contains("Alphacomm"))
        #expect(page.text.contains("20.00 EUR"))
        #expect(page.text.contains("Product 1"))
        #expect(page.text.contains("http://www.alphacomm.nl/logo.png"))
        #expect(created.json["redirectUrl"] == .string("http://localhost/alphacomm/paypal/approve/\(id)"))
        #expect(try f.get("capture/\(id)").json["error"] == "invalid_state")
        let approved = try f.approve(id)
        #expect(approved.status == 303)
        #expect(approved["Location"] == "http://www.alphacomm.nl")
        let status = try f.get("status/\(id)")
        #expect(status.json["state"] == "authorized")
        #expect(status.json["timestamp"]?.stringValue?.hasSuffix("+0000") == true)
        #expect(status.json["timestamp"]?.stringValue?.count == 24)
        let captured = try f.get("capture/\(id)")
        #expect(captured.status == 200)
        #expect(captured.json["state"] == "captured")
        #expect(try f.get("status/\(id)").json["state"] == "captured")
        let again = try f.get("capture/\(id)")
        #expect(again.status == 409)
        #expect(again.json["error_description"]?.stringValue?.contains("captured") == true)
        #expect(try f.approve(id).status == 409)
    }

    @Test func autoCaptureCapturesOnApproval() throws {
        let f = try Fixture()
        _ = try f.create(f.newExample(autoCapture: true))
        _ = try f.approve("0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(try f.get("status/0f8fad5b-d9cb-469f-a165-70867728950e").json["state"] == "captured")
    }

    @Test func cancelThroughThePage() throws {
        let f = try Fixture()
        _ = try f.create(f.newExample())
        let cancelled = try f.approve("0f8fad5b-d9cb-469f-a165-70867728950e", "cancel")
        #expect(cancelled.status == 303)
        #expect(try f.get("status/0f8fad5b-d9cb-469f-a165-70867728950e").json["state"] == "cancelled")
        #expect(try f.get("capture/0f8fad5b-d9cb-469f-a165-70867728950e").status == 409)
    }

    @Test func unapprovedPaymentsExpireOnTheClock() throws {
        let f = try Fixture()
        _ = try f.create(f.newExample())
        _ = try f.client.request("POST", "/_sandbox/clock/advance", json: ["seconds": .int(3 * 3600 - 1)])
        // Refresh the token (an hour) and look.
        let token = try #require(try f.client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials").json["access_token"]?.stringValue)
        #expect(try f.get("status/0f8fad5b-d9cb-469f-a165-70867728950e", token: token).json["state"] == "accepted")
        _ = try f.client.advance(1)
        #expect(try f.get("status/0f8fad5b-d9cb-469f-a165-70867728950e", token: token).json["state"] == "expired")
        #expect(try f.approve("0f8fad5b-d9cb-469f-a165-70867728950e").status == 409)
    }

    @Test func anotherClientsPaymentIsNotFound() throws {
        let f = try Fixture()
        _ = try f.create(f.newExample())
        let other = try #require(try f.client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox2&client_secret=sandbox2-secret&grant_type=client_credentials").json["access_token"]?.stringValue)
        #expect(try f.get("status/0f8fad5b-d9cb-469f-a165-70867728950e", token: other).status == 404)
        #expect(try f.get("capture/0f8fad5b-d9cb-469f-a165-70867728950e", token: other).status == 404)
        #expect(try f.get("status/11111111-2222-4333-8444-555555555555").status == 404)
        #expect(try f.create(f.newExample(), token: other).status == 409)
    }

    @Test func controlPlaneAndHeaderOutcomes() throws {
        let f = try Fixture()
        _ = try f.create(f.newExample())
        let done = try f.client.request("POST", "/_sandbox/payments/alphacomm/0f8fad5b-d9cb-469f-a165-70867728950e/outcome", json: ["outcome": "success"])
        #expect(done.json["status"] == "authorized")
        _ = try f.create(f.newExample("3b241101-e2bb-4255-8caf-4136c566a962"), headers: [("X-PaySandbox-Outcome", "failure; after=60")])
        _ = try f.client.advance(60)
        #expect(try f.client.request("GET", "/_sandbox/payments/alphacomm/3b241101-e2bb-4255-8caf-4136c566a962").json["status"] == "cancelled")
    }

    @Test func thePageEscapesTheMerchantsText() throws {
        let f = try Fixture()
        var body = setting(f.newExample(), ["companyName"], "<script>alert(1)</script>")
        body = setting(body, ["transaction", "lines", "0", "name"], "\"><img src=x onerror=alert(1)>")
        #expect(try f.create(body).status == 200)
        let page = try f.client.request("GET", "/alphacomm/paypal/approve/0f8fad5b-d9cb-469f-a165-70867728950e").text
        #expect(!page.contains("<script>alert(1)</script>"))
        #expect(!page.contains("<img src=x"))
        #expect(try f.client.request("GET", "/alphacomm/paypal/approve/nope").status == 404)
    }
}
