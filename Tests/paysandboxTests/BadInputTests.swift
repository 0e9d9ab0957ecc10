import Testing
import HTTPServer
import SQLiteStore
import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// Bad input on every creating endpoint of the five providers, generated from a valid body:
/// each field missing, of every wrong JSON type, huge, in odd Unicode; amounts negative, zero,
/// with too many decimals, as text. Every answer is the provider's documented error shape
/// (or a success where the provider accepts the value), never a 5xx; after every refused
/// request every table of the store has exactly the rows it had before.
@Suite struct BadInputTests {
    struct Endpoint {
        let label: String
        let path: String
        let headers: [(String, String)]
        let valid: JSON
        /// Fields whose absence must be refused.
        let required: [String]
        /// The amount field, refused when negative, zero or too precise.
        let amount: String?
        let maxDecimals: Int
        /// Census's order form takes 0 (`greater_than_or_equal_to: 0`); the others refuse it.
        var zeroAllowed = false
        let errorShape: (JSON) -> Bool
    }

    static let huge = String(repeating: "a", count: 100_000)
    static let unicode = "Zoë 🧾 مرحبا e\u{301} \u{202E}txt \u{FEFF}"
    static let wrongTypes: [JSON] = ["text", 123, .number("1.5"), true, .null, [], ["a": 1]]

    let test: TestSandbox
    let client: TestClient

    init() throws {
        test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()])
        client = try test.client()
    }

    /// Row counts of every table: what a refused request must leave as it was.
    /// Row counts of every table but the request journal (which records the refused calls too).
    private func snapshot() throws -> [String: Int64] {
        try test.sandbox.store.read { db in
            var counts: [String: Int64] = [:]
            for table in try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'journal'") {
                let name = table[0].string ?? ""
                counts[name] = try db.queryOne("SELECT COUNT(*) FROM \"\(name)\"")?[0].int64 ?? -1
            }
            return counts
        }
    }

    private func endpoints() throws -> [Endpoint] {
        let projectCX = try client.projectCXToken()
        let alphacomm = try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials").json["access_token"]?.stringValue ?? ""
        let customer = try client.request("POST", "/payxtoday/api/v1/1/sandbox-secret/clients/create",
                                          json: ["name": "A", "id_country": 102, "e_mail": "a@example.com"]).json["data"]?["id_client"]?.intValue ?? 0
        let paytomat = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
        let message = { (json: JSON) in json["error"]?.stringValue?.isEmpty == false }
        return [
            Endpoint(label: "projectcx create", path: "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(projectCX)")],
                     valid: ["amount": 10000, "description": "Test Payment", "info": "Payment 1", "callback": "http://127.0.0.1:9/cb"],
                     required: ["amount", "callback"], amount: "amount", maxDecimals: 0,
                     errorShape: { message($0) && $0["message"]?.stringValue?.isEmpty == false }),
            Endpoint(label: "paytomat create_transaction", path: "/paytomat/api/v1/create_transaction", headers: [paytomat],
                     valid: ["ref": "125", "currency_in": "USD", "currency_out": "BTC", "amount_in": 100, "callback_url": "http://127.0.0.1:9/pb"],
                     required: ["currency_in", "currency_out", "amount_in"], amount: "amount_in", maxDecimals: 8,
                     errorShape: { message($0) && $0.objectValue?.count == 1 }),
            Endpoint(label: "paytomat create_product", path: "/paytomat/api/v1/create_product", headers: [paytomat],
                     valid: ["title": "Pierogi", "amount": 15, "currency": "UAH", "unit": "piece"],
                     required: ["title", "amount", "currency", "unit"], amount: "amount", maxDecimals: 8,
                     errorShape: { message($0) && $0.objectValue?.count == 1 }),
            Endpoint(label: "census order", path: "/census/api/v1/payments/orders", headers: [],
                     valid: ["person_id": "1@census", "description": "Cuota", "amount": 1000, "campaign_code": "cuotas",
                             "payment_method_type": "direct_debit", "iban": "ES9121000418450200051332"],
                     required: ["person_id", "description", "amount", "campaign_code", "payment_method_type", "iban"], amount: "amount", maxDecimals: 0,
                     zeroAllowed: true, errorShape: { json in
                         (json.objectValue ?? [("x", .null)]).allSatisfy { $0.1.arrayValue?.allSatisfy { $0["error"]?.stringValue != nil } == true }
                     }),
            Endpoint(label: "payxtoday clients/create", path: "/payxtoday/api/v1/1/sandbox-secret/clients/create", headers: [],
                     valid: ["name": "Kari Nordmann", "id_country": 102, "e_mail": "kari@example.com"],
                     required: ["name", "id_country", "e_mail"], amount: nil, maxDecimals: 0,
                     errorShape: { $0["error"]?["message"]?.stringValue?.isEmpty == false }),
            Endpoint(label: "payxtoday payments/create", path: "/payxtoday/api/v1/1/sandbox-secret/payments/create", headers: [],
                     valid: ["id_client": .number(String(customer)), "price": 290, "period": 12, "description": "order 125"],
                     required: ["id_client", "price", "period"], amount: "price", maxDecimals: 2,
                     errorShape: { $0["error"]?["message"]?.stringValue?.isEmpty == false }),
            Endpoint(label: "alphacomm create", path: "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(alphacomm)")],
                     valid: Examples.alphacommCreateRequest,
                     required: ["paymentId", "returnUrl", "companyName", "payer", "transaction"], amount: nil, maxDecimals: 0,
                     errorShape: { message($0) && $0["error_description"]?.stringValue?.isEmpty == false }),
        ]
    }

    private static func replacing(_ body: JSON, _ field: String, with value: JSON?) -> JSON {
        var members = body.objectValue ?? []
        if let value {
            if let i = members.firstIndex(where: { $0.0 == field }) { members[i].1 = value } else { members.append((field, value)) }
        } else {
            members.removeAll { $0.0 == field }
        }
        return .object(members)
    }

    /// Every case for one endpoint: a label, the body, and whether it must be refused.
    private static func cases(_ e: Endpoint) -> [(String, JSON, mustFail: Bool)] {
        var out: [(String, JSON, mustFail: Bool)] = []
        for (field, value) in e.valid.objectValue ?? [] {
            out.append(("without \(field)", replacing(e.valid, field, with: nil), e.required.contains(field)))
            for wrong in wrongTypes where wrong.typeName != value.typeName && !(wrong.typeName == "number" && value.typeName == "number") {
                out.append(("\(field) as \(wrong.serialized())", replacing(e.valid, field, with: wrong), false))
            }
            if value.stringValue != nil {
                out.append(("\(field) of 100,000 characters", replacing(e.valid, field, with: .string(huge)), false))
                out.append(("\(field) in odd Unicode", replacing(e.valid, field, with: .string(unicode)), false))
                out.append(("\(field) empty", replacing(e.valid, field, with: ""), e.required.contains(field)))
            }
        }
        if let amount = e.amount {
            let tooPrecise = "1." + String(repeating: "1", count: e.maxDecimals + 1)
            for (label, value) in [("negative", JSON.number("-100")), ("zero", 0), ("too many decimals", .number(tooPrecise)),
                                   ("huge", .number("1e400")), ("not a number", "12abc")] {
                out.append(("\(amount) \(label)", replacing(e.valid, amount, with: value), !(label == "zero" && e.zeroAllowed)))
            }
        }
        out.append(("an array for the body", [e.valid], true))
        out.append(("a string for the body", "x", true))
        return out
    }

    @Test func everyCreatingEndpointRefusesBadInputInItsOwnShapeAndWritesNothing() throws {
        var checked = 0
        for endpoint in try endpoints() {
            // The valid body is accepted (the sweep starts from a working request).
            let fine = try client.request("POST", endpoint.path, headers: endpoint.headers, json: endpoint.valid)
            #expect((200 ... 299).contains(fine.status), "\(endpoint.label) valid: \(fine.status) \(fine.text)")
            for (label, body, mustFail) in Self.cases(endpoint) {
                let before = try snapshot()
                let response = try client.request("POST", endpoint.path, headers: endpoint.headers, json: body)
                checked += 1
                #expect(response.status < 500, "\(endpoint.label), \(label): \(response.status) \(response.text.prefix(200))")
                if mustFail {
                    #expect((400 ... 499).contains(response.status), "\(endpoint.label), \(label) must be refused: \(response.status) \(response.text.prefix(200))")
                }
                if response.status >= 400 {
                    #expect(endpoint.errorShape(response.json), "\(endpoint.label), \(label): not the provider's error shape: \(response.text.prefix(300))")
                    #expect(try snapshot() == before, "\(endpoint.label), \(label): the store changed though the request was refused")
                }
            }
        }
        #expect(checked > 300)
    }

    @Test func malformedAndOversizedBodiesAreRefusedEverywhere() throws {
        for endpoint in try endpoints() {
            let before = try snapshot()
            for raw in [Array("{\"amount\":".utf8), Array("\u{FF}\u{FE}{}".utf8), [UInt8](repeating: 0x20, count: 10) + Array("{\"a\":1}garbage".utf8)] {
                let response = try client.request("POST", endpoint.path, headers: endpoint.headers + [("Content-Type", "application/json")], body: raw)
                #expect((400 ... 499).contains(response.status), "\(endpoint.label): \(response.status) \(response.text.prefix(200))")
            }
            let big = try test.client().request("POST", endpoint.path, headers: endpoint.headers + [("Content-Type", "application/json")],
                                         body: Array("{\"x\":\"\(String(repeating: "a", count: 2_000_000))\"}".utf8))
            #expect(big.status == 413, "\(endpoint.label): \(big.status)")
            #expect(try snapshot() == before, "\(endpoint.label)")
        }
    }

    /// Odd values in every header the sandbox reads, on every route of every provider (its
    /// route table, parameters filled with "1"), with the default accounts' credentials where
    /// the value is not the point: never a 5xx, and the server answers afterwards. (An
    /// `X-Forwarded-Host: ,` once crashed the server from any call that hands out a URL.)
    @Test func oddHeaderValuesOnEveryRouteNeverBreakTheServer() throws {
        let providers: [any Provider] = [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()]
        let values = [",", "", " ", " , ,", String(repeating: "a", count: 6000), "é€😀", "a\tb", "\"'<>", "0", "-1", "https, http", "[::1]:99999"]
        let headers = ["Host", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For", "Authorization", "Content-Type",
                       "X-PaySandbox-Outcome", "Accept", "Origin"]
        let projectCX = try client.projectCXToken()
        let alphacomm = try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials").json["access_token"]?.stringValue ?? ""
        let credentials: [String: (String, String)] = [
            "projectcx": ("Authorization", "Bearer \(projectCX)"), "alphacomm": ("Authorization", "Bearer \(alphacomm)"),
            "paytomat": ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8))),
        ]
        var checked = 0
        for provider in providers {
            for entry in test.sandbox.providerRouter(provider).table {
                let parts = entry.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                let path = "/" + provider.key + parts[1].split(separator: "/").map { segment in
                    segment == ":secret_key" ? "sandbox-secret" : segment.hasPrefix(":") ? "1" : String(segment)
                }.reduce("") { $0 + "/" + $1 }
                for header in headers {
                    for value in values {
                        let client = try test.client()
                        let auth = credentials[provider.key].map { header == "Authorization" ? [] : [$0] } ?? []
                        let response = try client.request(parts[0], path, headers: auth + [(header, value)], json: parts[0] == "GET" ? nil : ["amount": 1])
                        checked += 1
                        #expect(response.status < 500,
                                "\(parts[0]) \(path) with \(header): \(value.prefix(20)) → \(response.status) \(response.text.prefix(120))")
                    }
                }
            }
        }
        #expect(try test.client().request("GET", "/_sandbox/health").status == 200)
        #expect(checked > 3000)
    }
}
