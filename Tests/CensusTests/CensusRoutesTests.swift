import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import Census

private struct Fixture {
    let test: TestSandbox
    let client: TestClient

    init(start: String? = nil) throws {
        test = try TestSandbox(providers: [CensusProvider()]) { config in
            config.startTime = start.flatMap(Timestamp.parseISO8601)
        }
        client = try test.client()
    }

    /// Campaign `a`: 1,000 processed now, 500 processed a day later.
    func processedOrders() throws {
        _ = try client.request("PATCH", "/_sandbox/accounts/census/1", json: ["settle": ["mode": "immediate"]])
        for amount in [1000, 500] {
            let r = try order([("person_id", "1@census"), ("description", "d"), ("amount", String(amount)), ("campaign_code", "a"),
                               ("payment_method_type", "existing_payment_method"), ("payment_method_id", "1")])
            #expect(r.status == 201)
            _ = try client.advance(86400)
        }
    }

    func order(_ fields: [(String, String)], prefix: String = "/census/api/v1") throws -> TestResponse {
        try client.request("POST", prefix + "/payments/orders", headers: [formType], body: form(fields))
    }

    static let base: [(String, String)] = [("person_id", "1@census"), ("description", "Cuota mensual"), ("amount", "1000"), ("campaign_code", "cuotas-2026")]

    func count(_ table: String) throws -> Int {
        try test.sandbox.store.read { db in try db.queryOne("SELECT COUNT(*) FROM \(table)")?[0].int ?? -1 }
    }
}

@Suite struct CensusRoutesTests {
    // MARK: payment methods

    @Test func paymentMethodsOfAPersonByEachKindOfId() throws {
        let f = try Fixture()
        let own = try f.client.request("GET", "/census/api/v1/payments/payment_methods?person_id=1%40census")
        #expect(own.status == 200)
        #expect(own.json == [
            ["id": 1, "name": "Direct debit ending in 1332", "type": "PaymentMethods::DirectDebit", "status": "active", "verified?": true],
            ["id": 2, "name": .string(own.json[1]?["name"]?.stringValue ?? ""), "type": "PaymentMethods::CreditCard", "status": "active", "verified?": true],
        ])
        let external = try f.client.request("GET", "/census/api/v1/payments/payment_methods?person_id=1002%40participa")
        #expect(external.json.arrayValue?.compactMap { $0["status"]?.stringValue } == ["inactive", "incomplete"])
        #expect(try f.client.request("GET", "/census/api/v1/es/payments/payment_methods?person_id=3@census").json.arrayValue?.count == 1)
    }

    @Test(arguments: ["", "?person_id=", "?person_id=99%40census", "?person_id=1", "?person_id=abc%40census", "?person_id=1%40nowhere", "?person_id=%40census"])
    func unknownPersonsAre422WithAnEmptyBody(_ query: String) throws {
        let f = try Fixture()
        let response = try f.client.request("GET", "/census/api/v1/payments/payment_methods" + query)
        #expect(response.status == 422)
        #expect(response.text == "{}")
    }

    @Test func onePaymentMethod() throws {
        let f = try Fixture()
        let found = try f.client.request("GET", "/census/api/v1/payments/payment_methods/5")
        #expect(found.json == ["id": 5, "name": "Direct debit ending in 7892", "type": "PaymentMethods::DirectDebit", "status": "active", "verified?": false])
        for missing in ["99", "abc", "-1"] {
            let response = try f.client.request("GET", "/census/api/v1/payments/payment_methods/\(missing)")
            #expect(response.status == 404)
            #expect(response.text == "{}")
        }
    }

    @Test func localesAreThoseCensusServes() throws {
        let f = try Fixture()
        for locale in ["es", "ca", "eu", "en", "gl"] {
            #expect(try f.client.request("GET", "/census/api/v1/\(locale)/payments/payment_methods/1").status == 200)
        }
        let unknown = try f.client.request("GET", "/census/api/v1/fr/payments/payment_methods/1")
        #expect(unknown.status == 404)
        #expect(unknown.text == "{}")
    }

    // MARK: orders

    @Test func directDebitCreatesAPaymentMethodAndIsProcessedLater() throws {
        let f = try Fixture()
        let created = try f.order(Fixture.base + [("payment_method_type", "direct_debit"), ("iban", "DE89370400440532013000")])
        #expect(created.status == 201)
        #expect(created.json == ["payment_method_id": 6])
        let method = try f.client.request("GET", "/census/api/v1/payments/payment_methods/6").json
        #expect(method["status"] == "active")
        #expect(method["verified?"] == false)
        #expect(method["name"] == "Direct debit ending in 3000")
        let total = "/census/api/v1/payments/orders/total?campaign_code=cuotas-2026"
        #expect(try f.client.request("GET", total).json == ["amount": 0])
        _ = try f.client.advance(3599)
        #expect(try f.client.request("GET", total).json == ["amount": 0])
        _ = try f.client.advance(1)
        #expect(try f.client.request("GET", total).json == ["amount": 1000])
        #expect(try f.client.request("GET", "/census/api/v1/payments/payment_methods/6").json["verified?"] == true)
        #expect(try f.client.request("GET", "/_sandbox/payments/census/1").json["status"] == "processed")
    }

    @Test func existingPaymentMethodAndJSONBodies() throws {
        let f = try Fixture()
        let created = try f.client.request("POST", "/census/api/v1/payments/orders", json: [
            "person_id": "1@census", "description": "Donación", "amount": 2500, "campaign_code": "donaciones",
            "payment_method_type": "existing_payment_method", "payment_method_id": 2,
        ])
        #expect(created.status == 201)
        #expect(created.json == ["payment_method_id": 2])
        #expect(try f.count("census_payment_methods") == 5)
    }

    @Test(arguments: [
        ("3", "inactive_payment_method", "2@census"),
        ("4", "inactive_payment_method", "2@census"),
        ("1", "invalid", "2@census"),
        ("99", "invalid", "1@census"),
        ("x", "invalid", "1@census"),
    ])
    func existingPaymentMethodMustBeThePersonsAndUsable(id: String, error: String, person: String) throws {
        let f = try Fixture()
        let fields = [("person_id", person), ("description", "d"), ("amount", "100"), ("campaign_code", "c"),
                      ("payment_method_type", "existing_payment_method"), ("payment_method_id", id)]
        let response = try f.order(fields)
        #expect(response.status == 422)
        #expect(response.json["payment_method_id"]?[0]?["error"] == .string(error))
        #expect(try f.count("census_orders") == 0)
    }

    @Test(arguments: [
        ([("payment_method_type", "direct_debit")], #"{"iban":[{"error":"blank"}]}"#),
        ([("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051333")], #"{"iban":[{"error":"invalid_check"}]}"#),
        ([("payment_method_type", "direct_debit"), ("iban", "ES91 2100 0418 4502 0005 1332")], #"{"iban":[{"error":"invalid_format"}]}"#),
        ([("payment_method_type", "direct_debit"), ("iban", "ES2921000418460200051332")], #"{"iban":[{"error":"invalid_country_check"}]}"#),
        ([("payment_method_type", "existing_payment_method")], #"{"payment_method_id":[{"error":"blank"}]}"#),
        ([("payment_method_type", "credit_card_external")], #"{"return_url":[{"error":"blank"}]}"#),
        ([("payment_method_type", "credit_card_external"), ("return_url", "https://shop.example/back")],
         #"{"return_url":[{"error":"invalid","value":"https://shop.example/back"}]}"#),
        ([("payment_method_type", "paypal")], #"{"payment_method_type":[{"error":"inclusion","value":"paypal"}]}"#),
        ([], #"{"payment_method_type":[{"error":"inclusion","value":null}]}"#),
    ])
    func methodSpecificParameters(extra: [(String, String)], expected: String) throws {
        let f = try Fixture()
        let response = try f.order(Fixture.base + extra)
        #expect(response.status == 422)
        #expect(response.text == expected)
        #expect(try f.count("census_orders") == 0)
        #expect(try f.count("census_payment_methods") == 5)
    }

    @Test func commonParametersAreReportedTogether() throws {
        let f = try Fixture()
        let missing = try f.order([("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        #expect(missing.text == #"{"person":[{"error":"blank"}],"description":[{"error":"blank"}],"amount":[{"error":"blank"},{"error":"not_a_number","value":null}],"campaign_code":[{"error":"blank"}]}"#)
        let negative = try f.order([("person_id", "1@census"), ("description", "d"), ("amount", "-1"), ("campaign_code", "c"),
                                    ("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        #expect(negative.text == #"{"amount":[{"error":"greater_than_or_equal_to","value":-1,"count":0}]}"#)
        let word = try f.order([("person_id", "1@census"), ("description", "d"), ("amount", "ten"), ("campaign_code", "c"),
                                ("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        #expect(word.text == #"{"amount":[{"error":"not_a_number","value":"ten"}]}"#)
        let unknownPerson = try f.order([("person_id", "42@census"), ("description", "d"), ("amount", "1"), ("campaign_code", "c"),
                                         ("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        #expect(unknownPerson.text == #"{"person":[{"error":"blank"}]}"#)
        // Rails' `blank?`: whitespace of any kind is blank.
        let whitespace = try f.order([("person_id", "1@census"), ("description", "\n\u{A0}"), ("amount", "1"), ("campaign_code", "\u{3000}"),
                                      ("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        #expect(whitespace.text == #"{"description":[{"error":"blank"}],"campaign_code":[{"error":"blank"}]}"#)
        let zero = try f.order([("person_id", "1@census"), ("description", "d"), ("amount", "0"), ("campaign_code", "c"),
                                ("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        #expect(zero.status == 201)
    }

    @Test func aForcedInternalErrorIsA500WithAnEmptyBody() throws {
        let f = try Fixture()
        let response = try f.order([("person_id", "1@census"), ("description", "d"), ("amount", "1"), ("campaign_code", CensusRoutes.forcedErrorCampaign),
                                    ("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        #expect(response.status == 500)
        #expect(response.text == "{}")
        #expect(try f.count("census_orders") == 0)
    }

    @Test func malformedJSONIs400AndUnknownRoutes404() throws {
        let f = try Fixture()
        let bad = try f.client.request("POST", "/census/api/v1/payments/orders", headers: [("Content-Type", "application/json")], body: Array("{\"amount\":".utf8))
        #expect(bad.status == 400)
        #expect(try f.client.request("GET", "/census/api/v1/payments/nothing").status == 404)
        #expect(try f.client.request("DELETE", "/census/api/v1/payments/orders").status == 404)
    }

    // MARK: the external card form

    private func externalOrder(_ f: Fixture, amount: String = "1500") throws -> (action: String, fields: [(String, String)], method: Int) {
        let created = try f.order([("person_id", "3@census"), ("description", "Cuota <b>& más</b>"), ("amount", amount), ("campaign_code", "tarjeta"),
                                   ("payment_method_type", "credit_card_external"), ("return_url", "https://shop.example/pago/__RESULT__?o=__RESULT__")])
        #expect(created.status == 202)
        let action = try #require(created.json["form"]?["action"]?.stringValue)
        let fields = (created.json["form"]?["fields"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
        return (action, fields, created.json["payment_method_id"]?.intValue ?? 0)
    }

    @Test func theExternalFormPaysAndRedirectsWithOk() throws {
        let f = try Fixture()
        let (action, fields, methodID) = try externalOrder(f)
        #expect(action == "http://localhost/census/gateway/pay")
        #expect(try f.client.request("GET", "/census/api/v1/payments/payment_methods/\(methodID)").json["status"] == "incomplete")
        // The browser submits the hidden fields to the action: the card page.
        let page = try f.client.request("POST", "/census/gateway/pay", headers: [formType], body: form(fields))
        #expect(page.status == 200)
        #expect(page.text.contains("15.00 €"))
        #expect(page.text.contains("Cuota &lt;b&gt;&amp; más&lt;/b&gt;"))
        let token = fields.first { $0.0 == "token" }?.1 ?? ""
        let paid = try f.client.request("POST", "/census/gateway/pay/complete", headers: [formType],
                                        body: form([("token", token), ("card_number", "4548 8120 4940 0004"), ("expiry_month", "7"), ("expiry_year", "2031"), ("action", "pay")]))
        #expect(paid.status == 303)
        #expect(paid["Location"] == "https://shop.example/pago/ok?o=ok")
        let method = try f.client.request("GET", "/census/api/v1/payments/payment_methods/\(methodID)").json
        #expect(method["status"] == "active")
        #expect(method["verified?"] == true)
        #expect(method["name"] == "Credit card (expires 07/2031)")
        #expect(try f.client.request("GET", "/census/api/v1/payments/orders/total?person_id=3%40census").json == ["amount": 1500])
        let again = try f.client.request("POST", "/census/gateway/pay/complete", headers: [formType], body: form([("token", token), ("action", "fail")]))
        #expect(again.status == 409)
    }

    @Test(arguments: [
        ([("card_number", "4000000000000002"), ("expiry_month", "1"), ("expiry_year", "2030"), ("action", "pay")], "ko"),
        ([("action", "fail")], "ko"),
    ])
    func theExternalFormFailsAndRedirectsWithKo(card: [(String, String)], result: String) throws {
        let f = try Fixture()
        let (_, fields, methodID) = try externalOrder(f)
        let token = fields.first { $0.0 == "token" }?.1 ?? ""
        let failed = try f.client.request("POST", "/census/gateway/pay/complete", headers: [formType], body: form([("token", token)] + card))
        #expect(failed.status == 303)
        #expect(failed["Location"] == "https://shop.example/pago/\(result)?o=\(result)")
        #expect(try f.client.request("GET", "/census/api/v1/payments/payment_methods/\(methodID)").json["status"] == "incomplete")
        #expect(try f.client.request("GET", "/_sandbox/payments/census/1").json["status"] == "error")
        #expect(try f.client.request("GET", "/census/api/v1/payments/orders/total?campaign_code=tarjeta").json == ["amount": 0])
    }

    @Test func theCardPageRefusesBadCardsAndUnknownForms() throws {
        let f = try Fixture()
        let (_, fields, _) = try externalOrder(f)
        let token = fields.first { $0.0 == "token" }?.1 ?? ""
        let luhn = try f.client.request("POST", "/census/gateway/pay/complete", headers: [formType],
                                        body: form([("token", token), ("card_number", "4548812049400005"), ("expiry_month", "1"), ("expiry_year", "2030")]))
        #expect(luhn.status == 422)
        #expect(luhn.text.contains("not valid"))
        let expiry = try f.client.request("POST", "/census/gateway/pay/complete", headers: [formType],
                                          body: form([("token", token), ("card_number", "4548812049400004"), ("expiry_month", "13"), ("expiry_year", "2030")]))
        #expect(expiry.status == 422)
        #expect(try f.client.request("POST", "/census/gateway/pay", headers: [formType], body: form([("token", "forged")])).status == 404)
        #expect(try f.client.request("GET", "/_sandbox/payments/census/1").json["status"] == "pending")
    }

    // MARK: real clients

    /// Exactly what podemos-info's two Rails clients of Census send, and what they read:
    /// decidim-module-census-connector (Faraday, `request :url_encoded`: form bodies with keys
    /// sorted, spaces as `+`, a locale in the path; every answer but 500 and 204 is
    /// `JSON.parse`d) and decidim-module-crowdfundings' totals (HTTParty, `query:` with
    /// `Time.zone.now.beginning_of_year`: `%20` spaces and `%2B`; reads `amount` on a 2xx).
    @Test func whatTheRailsClientsSendAndRead() throws {
        let f = try Fixture(start: "2026-03-01T10:00:00Z")
        _ = try f.client.request("PATCH", "/_sandbox/accounts/census/1", json: ["settle": ["mode": "immediate"]])
        let faraday = [("User-Agent", "Faraday v2.9.0"), ("Accept", "*/*"),
                       ("Accept-Encoding", "gzip;q=1.0,deflate;q=0.6,identity;q=0.3"), formType]
        // create_order: `params[:amount] *= 100`, merged with person_id, url_encoded.
        let created = try f.client.request("POST", "/census/api/v1/es/payments/orders", headers: faraday, body: Array(
            ("amount=1000&campaign_code=crowdfunding-1&description=Cuota+mensual+%28marzo%29&payment_method_id=1"
             + "&payment_method_type=existing_payment_method&person_id=1%40census").utf8))
        #expect(created.status == 201)
        #expect(created.json == ["payment_method_id": 1])
        let direct = try f.client.request("POST", "/census/api/v1/es/payments/orders", headers: faraday, body: Array(
            ("amount=2500&campaign_code=crowdfunding-1&description=Aportaci%C3%B3n&iban=ES9121000418450200051332"
             + "&payment_method_type=direct_debit&person_id=1%40census").utf8))
        #expect(direct.status == 201)
        #expect(direct.json["payment_method_id"]?.intValue != nil)
        // An invalid order: 422 with JSON the client parses (errors.details).
        let invalid = try f.client.request("POST", "/census/api/v1/es/payments/orders", headers: faraday, body: Array(
            "amount=-100&campaign_code=c&description=x&payment_method_type=existing_payment_method&payment_method_id=1&person_id=1%40census".utf8))
        #expect(invalid.status == 422)
        #expect(invalid.json["amount"]?[0]?["error"] == "greater_than_or_equal_to")
        _ = try f.client.advance(1)
        // payment_methods(qualified_id) and payment_method(id): JSON the client maps field by field.
        let methods = try f.client.request("GET", "/census/api/v1/es/payments/payment_methods?person_id=1%40census", headers: faraday)
        #expect(methods.status == 200)
        let first = try #require(methods.json.arrayValue?.first)
        for field in ["id", "name", "type", "status", "verified?"] { #expect(first[field] != nil, "\(field)") }
        #expect(try f.client.request("GET", "/census/api/v1/es/payments/payment_methods/1", headers: faraday).json["id"] == 1)
        // orders_total: Faraday's query encoding of a Time (`+` for spaces, `%2B` for the offset).
        let connectorTotal = try f.client.request(
            "GET", "/census/api/v1/es/payments/orders/total?campaign_code=crowdfunding-1&from_date=2026-03-01+11%3A00%3A00+%2B0100"
                + "&person_id=1%40census", headers: faraday)
        #expect(connectorTotal.status == 200)
        #expect(connectorTotal.json == ["amount": 3500])  // the client shows amount / 100
        // Totals.user_totals: the year in the Rails app's zone, sent by HTTParty.
        let crowdfunding = try f.client.request(
            "GET", "/census/api/v1/payments/orders/total?person_id=1%40census&from_date=2026-01-01%2000%3A00%3A00%20%2B0100"
                + "&until_date=2026-12-31%2023%3A59%3A59%20%2B0100", headers: [("User-Agent", "Ruby")])
        #expect(crowdfunding.status == 200)
        #expect(crowdfunding.json["amount"] == 3500)
    }

    // MARK: totals

    /// What Rails clients send (`Time#to_s`: `2026-01-01 10:30:00 +0100`, its `+` encoded,
    /// sent raw so that it decodes to a space, or in a form body) and the other forms Ruby's
    /// `Time.parse` reads; the offset counts. Order A is processed at 2026-01-01T10:00Z,
    /// order B a day later.
    @Test(arguments: [
        // from_date 09:30Z: both; 10:30Z: B only (an offset read as UTC would say B only).
        ("from_date=2026-01-01%2010:30:00%20%2B0100", 1500),
        ("from_date=2026-01-01+10:30:00++0100", 1500),
        ("from_date=2026-01-01+10:30:00+-0100", 500),
        ("from_date=2026-01-01T10:30:00%2B01:00", 1500),
        ("from_date=2026-01-01T10:30:00%2B01", 1500),
        ("from_date=2026-01-01%2009:30:00%20UTC", 1500),
        ("from_date=2026-01-01%2010:30:00%20GMT", 500),
        ("from_date=2026-01-01T09:30:00Z", 1500),
        ("from_date=2026-01-01T10:00:00.250Z", 500),
        ("from_date=2026-01-01T10:00:00.000Z", 1500),
        ("from_date=2026-01-01%2010:30:00", 500),
        ("from_date=2026-01-02", 500),
        ("from_date=2026-01-01t09:30:00z", 1500),
        ("until_date=2026-01-02%2010:30:00%20%2B0100", 1000),
        ("until_date=2026-01-02+10:30:00++0100", 1000),
        ("until_date=2026-01-02", 1000),
        ("from_date=2026-01-01&until_date=2026-01-03", 1500),
    ])
    func totalsReadTheDatesRubyReads(query: String, amount: Int) throws {
        let f = try Fixture(start: "2026-01-01T10:00:00Z")
        try f.processedOrders()
        let r = try f.client.request("GET", "/census/api/v1/payments/orders/total?campaign_code=a&" + query)
        #expect(r.status == 200)
        #expect(r.json == ["amount": .int(amount)])
        // The same in a form body, as a Rails client's POST-style encoding would carry it.
        let body = try f.client.request("GET", "/census/api/v1/payments/orders/total", headers: [formType],
                                        body: Array("campaign_code=a&\(query)".utf8))
        #expect(body.json == ["amount": .int(amount)])
    }

    @Test(arguments: ["yesterday", "2026-13-01", "2026-02-30%2010:00:00", "2026-01-01%2010:00:00%20%2B01000", "2026-01-01X10:00",
                      "2026-01-01%2010:00:00%20CEST%20x", "2026-01-01%2025:00:00", "+", "2026"])
    func unreadableDatesAreStill422(value: String) throws {
        let f = try Fixture()
        let r = try f.client.request("GET", "/census/api/v1/payments/orders/total?campaign_code=a&from_date=" + value)
        #expect(r.status == 422)
        #expect(r.json == [:])
    }

    @Test func totalsFilterByCampaignPersonAndDates() throws {
        let f = try Fixture()
        _ = try f.client.request("PATCH", "/_sandbox/accounts/census/1", json: ["settle": ["mode": "immediate"]])
        func create(_ person: String, _ campaign: String, _ amount: Int) throws {
            let r = try f.order([("person_id", person), ("description", "d"), ("amount", String(amount)), ("campaign_code", campaign),
                                 ("payment_method_type", "existing_payment_method"), ("payment_method_id", person == "1@census" ? "1" : "5")])
            #expect(r.status == 201)
            _ = try f.client.advance(0)
        }
        try create("1@census", "a", 100)
        try create("3@census", "a", 200)
        let startOfB = try #require(try f.client.request("GET", "/_sandbox/clock").json["time"]?.stringValue)
        _ = try f.client.advance(86400)
        try create("1@census", "b", 400)
        func total(_ query: String) throws -> TestResponse { try f.client.request("GET", "/census/api/v1/payments/orders/total?" + query) }
        #expect(try total("campaign_code=a").json == ["amount": 300])
        #expect(try total("person_id=1%40census").json == ["amount": 500])
        #expect(try total("person_id=1001%40participa&campaign_code=a").json == ["amount": 100])
        #expect(try total("campaign_code=a&person_id=99%40census").json == ["amount": 300])
        #expect(try total("person_id=1%40census&from_date=\(PercentDecoding.encode(startOfB))").json == ["amount": 400])
        #expect(try total("person_id=1%40census&until_date=\(PercentDecoding.encode(startOfB))").json == ["amount": 100])
        #expect(try total("campaign_code=zzz").json == ["amount": 0])
        // `if params[:campaign_code]`: an empty code is sent, so it filters (Ruby's "" is true).
        #expect(try total("campaign_code=").json == ["amount": 0])
        #expect(try total("campaign_code=&person_id=1%40census").json == ["amount": 0])
        #expect(try total("").status == 422)
        #expect(try total("person_id=99%40census").status == 422)
        #expect(try total("campaign_code=a&from_date=yesterday").status == 422)
        // Found by schemathesis: an empty date was read as no date.
        #expect(try total("campaign_code=a&from_date=").status == 422)
        #expect(try total("campaign_code=a&until_date=").json == [:])
        // Only processed orders count: a pending one does not.
        _ = try f.client.request("PATCH", "/_sandbox/accounts/census/1", json: ["settle": ["mode": "manual"]])
        _ = try f.order([("person_id", "1@census"), ("description", "d"), ("amount", "9999"), ("campaign_code", "a"),
                         ("payment_method_type", "existing_payment_method"), ("payment_method_id", "1")])
        #expect(try total("campaign_code=a").json == ["amount": 300])
    }

    // MARK: sandbox extras

    @Test func controlPlaneOutcomeAndPersons() throws {
        let f = try Fixture()
        _ = try f.order(Fixture.base + [("payment_method_type", "direct_debit"), ("iban", "ES9121000418450200051332")])
        let failed = try f.client.request("POST", "/_sandbox/payments/census/1/outcome", json: ["outcome": "failure", "message": "Devolución"])
        #expect(failed.json["status"] == "error")
        #expect(try f.client.request("POST", "/_sandbox/payments/census/1/outcome", json: ["outcome": "success"]).status == 409)
        let person = try f.client.request("POST", "/_sandbox/census/persons", json: ["name": "Nueva", "external_ids": ["participa": "2001"]])
        #expect(person.status == 201)
        #expect(person.json["qualified_ids"] == ["4@census", "2001@participa"])
        #expect(try f.client.request("GET", "/census/api/v1/payments/payment_methods?person_id=2001%40participa").json == [])
        #expect(try f.client.request("POST", "/_sandbox/census/persons", json: ["external_ids": ["participa": "2001"]]).status == 409)
        #expect(try f.client.request("GET", "/_sandbox/census/persons/4%40census").json["name"] == "Nueva")
        for body in [#"[1]"#, #"{"name":42}"#, #"{"name":""}"#, #"{"external_ids":["x"]}"#, #"{"external_ids":{"census":"9"}}"#,
                     #"{"external_ids":{"participa":7}}"#, "{"] {
            let refused = try f.client.request("POST", "/_sandbox/census/persons", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
            #expect(refused.status == 400, "\(body)")
        }
        #expect(try f.client.request("GET", "/_sandbox/census/persons/5%40census").status == 404)
    }
}

/// The IP allow-list as the router applies it: every API path (unknown ones too) refused to a
/// caller outside it, before anything is read; the card gateway open to the payer's browser
/// wherever it is.
@Suite struct CensusAllowListTests {
    @Test func outsideTheListOnlyTheGatewayAnswers() async throws {
        let test = try TestSandbox(providers: [CensusProvider(access: CensusAccess(allowed: ["10.1.2.3"]))])
        let router = test.sandbox.providerRouter(CensusProvider(access: CensusAccess(allowed: ["10.1.2.3"])))
        func send(_ method: String, _ target: String, from remote: String) async -> HTTPResponse {
            var request = HTTPRequest(method: method, target: target)
            request.remoteAddress = remote
            request.headers.set("Host", "localhost")
            return await router.respond(to: request)
        }
        for target in ["/api/v1/payments/payment_methods/1", "/api/v1/es/payments/orders/total?campaign_code=x",
                       "/api/v1/nowhere"] {
            let refused = await send("GET", target, from: "10.9.9.9:4000")
            #expect(refused.status == 403, "\(target)")
            #expect(String(decoding: refused.body, as: UTF8.self) == "Forbidden")
        }
        #expect(await send("POST", "/api/v1/payments/orders", from: "[2001:db8::1]:4000").status == 403)
        #expect(await send("GET", "/api/v1/payments/payment_methods/1", from: "10.1.2.3:4000").status == 200)
        #expect(await send("GET", "/api/v1/payments/payment_methods/1", from: "[::ffff:10.1.2.3]:4000").status == 200)
        // The gateway: a form with no valid token is its own 404 page, not the allow-list's 403.
        #expect(await send("POST", "/gateway/pay", from: "10.9.9.9:4000").status == 404)
    }
}
