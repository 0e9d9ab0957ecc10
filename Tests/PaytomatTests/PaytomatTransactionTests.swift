import Testing
import HTTPServer
import SandboxCore
import TestSupport
@testable import Paytomat

private let auth = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
private let auth2 = ("Authorization", "Basic " + Base64.encode(Array("sandbox2:sandbox2-secret".utf8)))

private struct Fixture {
    let test: TestSandbox
    let client: TestClient

    init() throws {
        test = try TestSandbox(providers: [PaytomatProvider()])
        client = try test.client()
    }

    func post(_ path: String, _ body: JSON, as who: (String, String) = auth, headers: [(String, String)] = []) throws -> TestResponse {
        try client.request("POST", "/paytomat/api/v1/" + path, headers: [who] + headers, json: body)
    }

    func get(_ path: String, as who: (String, String) = auth) throws -> TestResponse {
        try client.request("GET", "/paytomat/api/v1/" + path, headers: [who])
    }

    func create(_ extra: [(String, JSON)] = [], as who: (String, String) = auth, headers: [(String, String)] = []) throws -> Int {
        let body = JSON.object([("order_id", "A1"), ("currency_in", "USD"), ("currency_out", "BTC"), ("amount_in", 100)] + extra)
        let r = try post("create_transaction", body, as: who, headers: headers)
        #expect(r.status == 200, "\(r.text)")
        return try #require(r.json["id"]?.intValue)
    }

    func status(_ id: Int) throws -> String? { try get("transaction?id=\(id)").json["transaction"]?["status"]?.stringValue }
}

@Suite struct PaytomatTransactionTests {
    @Test func createAsDocumented() throws {
        let f = try Fixture()
        let r = try f.post("create_transaction", ["ref": 125, "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
        #expect(r.status == 200)
        guard case .object(let members) = r.json else { Issue.record("not an object"); return }
        #expect(Set(members.map(\.0)) == ["amount_out", "currency_out", "id", "qr_code", "rate", "address", "note", "track_url"])
        #expect(r.json["rate"] == .number("0.00002312"))
        #expect(r.json["amount_out"] == .number("0.00231214"))
        let address = try #require(r.json["address"]?.stringValue)
        #expect(address.hasPrefix("3"))
        #expect(PaytomatAddress.decodeCheck(address)?.first == 0x05)
        #expect(r.json["qr_code"] == .string("bitcoin:\(address)?amount=0.00231214"))
        let tx = try #require(try f.get("transaction?id=\(r.json["id"]?.intValue ?? 0)").json["transaction"])
        #expect(tx["ref"] == "125")
        #expect(tx["status"] == "new")
        #expect(tx["amount_in"] == "100")
        #expect(tx["amount_out"] == "0.00231214")
        #expect(tx["created"]?.stringValue?.count == 19)
        #expect(tx["product_id"] == .null)
        // The ref defaults to order_id_UnixTimestamp.
        let other = try f.create()
        #expect(try f.get("transaction?id=\(other)").json["transaction"]?["ref"]?.stringValue?.hasPrefix("A1_") == true)
        // LTC and DASH addresses carry their own version bytes.
        for (coin, version) in [("LTC", UInt8(0x32)), ("DASH", UInt8(0x4C))] {
            let c = try f.post("create_transaction", ["order_id": "X", "currency_in": "EUR", "currency_out": .string(coin), "amount_in": "12.5"])
            #expect(PaytomatAddress.decodeCheck(c.json["address"]?.stringValue ?? "")?.first == version)
        }
    }

    /// As the Paytomat WooCommerce plugin calls it: a JWT Bearer, `Content-type:
    /// application/json`, the order id as a string, the cart total as a JSON float, a
    /// callback URL with an unencoded base64 query value; then it puts `address`, `qr_code`,
    /// `amount_out` and `track_url` unencoded into a query string of its own
    /// (`add_query_arg`), so none may hold `&`, `#`, `+`, `%` or a space; the payer is sent
    /// to `track_url`, the sandbox's transaction page.
    @Test func theWooCommercePluginsCreateAndWhatItReads() throws {
        let f = try Fixture()
        let jwt = try #require(try f.get("token").json["token"]?.stringValue)
        let bearer = ("Authorization", "Bearer \(jwt)")
        let outgoing = PaytomatCurrency.all.filter(\.outgoing).map(\.code)
        #expect(outgoing.count >= 3)
        for (n, coin) in outgoing.enumerated() {
            for total in ["49.99", "0.01", "1234567.89", "100"] {
                let body = #"{"order_id":"\#(4000 + n)","currency_in":"USD","currency_out":"\#(coin)","amount_in":\#(total),"#
                    + #""callback_url":"http:\/\/127.0.0.1:9\/?wc-api=paytomat&order=a+b\/c=="}"#
                let r = try f.client.request("POST", "/paytomat/api/v1/create_transaction",
                                             headers: [bearer, ("Content-type", "application/json")], body: Array(body.utf8))
                #expect(r.status == 200, "\(coin) \(total): \(r.text)")
                let read = ["address", "qr_code", "amount_out", "track_url"].map { (r.json[$0] ?? .null).serialized() }
                for text in read {
                    #expect(!text.contains(where: { "&#+% ".contains($0) }), "\(coin) \(total): \(text)")
                }
                let track = try #require(r.json["track_url"]?.stringValue)
                let code = String(track.split(separator: "/").last ?? "")
                #expect(track == "http://localhost/paytomat/pay/tx/\(code)")
                let page = try f.client.request("GET", "/paytomat/pay/tx/\(code)")
                #expect(page.status == 200)
                #expect(page.text.contains(r.json["address"]?.stringValue ?? "?"))
            }
        }
    }

    @Test(arguments: [
        (#"{"currency_in":"USD","currency_out":"BTC","amount_in":1}"#, "order_id is required (or ref)"),
        (#"{"order_id":"a-1","currency_in":"USD","currency_out":"BTC","amount_in":1}"#, "order_id must be alphanumeric"),
        (#"{"order_id":"A","currency_out":"BTC","amount_in":1}"#, "currency_in is required"),
        (#"{"order_id":"A","currency_in":"XXX","currency_out":"BTC","amount_in":1}"#, "currency_in: unknown currency code 'XXX'"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"USD","amount_in":1}"#, "currency_out: USD cannot be used in this direction"),
        (#"{"order_id":"A","currency_in":"USD","amount_in":1}"#, "currency_out is required"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC"}"#, "amount_in is required"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC","amount_in":"ten"}"#, "amount_in must be a float"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC","amount_in":"12abc"}"#, "amount_in must be a float"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC","amount_in":"١٢"}"#, "amount_in must be a float"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC","amount_in":0}"#, "amount_in must be greater than 0"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC","amount_in":true}"#, "amount_in must be a float"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC","amount_in":1.123456789}"#, "amount_in must have at most 8 decimal places"),
        (#"{"order_id":"A","currency_in":"USD","currency_out":"BTC","amount_in":1,"callback_url":"nope"}"#, "callback_url must be an absolute http or https URL"),
        (#"[1]"#, "The body must be a JSON object"),
    ])
    func createValidation(body: String, message: String) throws {
        let f = try Fixture()
        let r = try f.client.request("POST", "/paytomat/api/v1/create_transaction", headers: [auth, ("Content-Type", "application/json")], body: Array(body.utf8))
        #expect(r.status == 400)
        #expect(r.json == ["error": .string(message)])
        #expect(try f.get("transactions").json["transactions"] == [])
    }

    /// A payment's postbacks go out in order: the chargeback's waits behind the success postback
    /// while that one is being retried, and arrives after it.
    @Test func aPaymentsPostbacksArriveInOrder() throws {
        let receiver = try Receiver(statuses: [503])
        let f = try Fixture()
        _ = try f.client.request("PATCH", "/_sandbox/accounts/paytomat/1", json: ["timing": ["confirmation_seconds": 0]])
        let id = try f.create([("callback_url", .string(receiver.url))], headers: [("X-PaySandbox-Outcome", "success; after=0")])
        receiver.wait(for: 1)
        #expect(try f.post("chargeback_transaction", ["id": .int(id)]).status == 200)
        try f.client.advance(1)  // the chargeback happens; its postback queues behind the retry
        try f.client.advance(10)  // the retry of the success postback is due, then the chargeback's
        let statuses = receiver.wait(for: 3).map { $0.json["tx_status"]?.stringValue ?? "?" }
        #expect(statuses == ["success", "success", "chargeback"])
    }

    @Test func theLifeCycleMovesOnTheClockWithAPostback() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let id = try f.create([("callback_url", .string(receiver.url))], headers: [("X-PaySandbox-Outcome", "success; after=10")])
        #expect(try f.status(id) == "new")
        try f.client.advance(10)
        #expect(try f.status(id) == "pending")
        try f.client.advance(60)
        #expect(try f.status(id) == "confirmation")
        try f.client.advance(60)
        #expect(try f.status(id) == "success")
        #expect(try f.get("transaction?id=\(id)").json["transaction"]?["comment"] == "Payment received")
        let postback = try #require(receiver.wait(for: 1).first)
        guard case .object(let members) = postback.json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["merchant_id", "product_id", "tx_code", "tx_id", "amount", "currency", "qr_code", "details", "tx_status", "custom_css"])
        #expect(postback.json["merchant_id"] == 1)
        #expect(postback.json["tx_id"] == .int(id))
        #expect(postback.json["amount"] == .number("0.00231214"))
        #expect(postback.json["currency"] == "BTC")
        #expect(postback.json["tx_status"] == "success")
        let timeline = try f.client.request("GET", "/_sandbox/payments/paytomat/\(id)").json["timeline"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
        #expect(timeline == ["new", "pending", "confirmation", "success"])
    }

    @Test func unpaidTransactionsTimeOut() throws {
        let f = try Fixture()
        let id = try f.create()
        try f.client.advance(899)
        #expect(try f.status(id) == "new")
        try f.client.advance(1)
        #expect(try f.status(id) == "timeout")
    }

    @Test func magicAmountsAndTheHeaderFail() throws {
        let f = try Fixture()
        let underpaid = try f.create([("amount_in", "10.51")])
        try f.client.advance(0)
        #expect(try f.status(underpaid) == "failure")
        #expect(try f.get("transaction?id=\(underpaid)").json["transaction"]?["comment"] == "Payment underpaid")
        let failed = try f.create(headers: [("X-PaySandbox-Outcome", #"failure; message="Double spend""#)])
        try f.client.advance(0)
        #expect(try f.get("transaction?id=\(failed)").json["transaction"]?["comment"] == "Double spend")
    }

    @Test func cancelRules() throws {
        let f = try Fixture()
        let id = try f.create()
        #expect(try f.post("cancel_transaction", ["id": .int(id)]).json == ["status": "cancelled", "status_description": "Transaction has been cancelled"])
        #expect(try f.status(id) == "cancelled")
        let again = try f.post("cancel_transaction", ["id": .int(id)])
        #expect(again.status == 409)
        #expect(again.json == ["error": .string("Transaction \(id) is cancelled and cannot be cancelled")])
        #expect(try f.post("cancel_transaction", [:]).json == ["error": "id is required"])
        #expect(try f.post("cancel_transaction", ["id": "x"]).json == ["error": "id must be an integer"])
        #expect(try f.post("cancel_transaction", ["id": 999]).status == 404)
    }

    @Test func chargebackRulesAndBalance() throws {
        let f = try Fixture()
        let id = try f.create()
        let unpaid = try f.post("chargeback_transaction", ["id": .int(id)])
        #expect(unpaid.status == 409, "\(unpaid.text) \(unpaid.headers)")
        #expect(unpaid.json["error"]?.stringValue?.contains("only a successful transaction") == true)
        _ = try f.client.request("POST", "/_sandbox/payments/paytomat/\(id)/outcome", json: ["outcome": "success"])
        #expect(try f.get("balance").json["balance"]?["BTC"] == .number("0.00231214"))
        #expect(try f.post("chargeback_transaction", ["id": .int(id)]).json == ["status": "chargeback_scheduled", "status_description": "Transaction has been scheduled for chargeback"])
        let tx = try f.get("transaction?id=\(id)").json["transaction"]
        #expect(tx?["status"] == "cancellation")
        #expect(tx?["comment"] == "Requested chargeback")
        try f.client.advance(60)
        #expect(try f.status(id) == "chargeback")
        #expect(try f.get("balance").json["balance"]?["BTC"] == .number("0"))
        #expect(try f.post("chargeback_transaction", ["id": .int(id)]).status == 409)
    }

    @Test func listingFiltersOrdersAndPages() throws {
        let f = try Fixture()
        var ids: [Int] = []
        for (i, order) in ["C", "A", "B"].enumerated() {
            ids.append(try f.create([("order_id", .string(order)), ("amount_in", .int(10 + i))]))
            try f.client.advance(1)
        }
        _ = try f.client.request("POST", "/_sandbox/payments/paytomat/\(ids[0])/outcome", json: ["outcome": "success"])
        func list(_ query: String) throws -> [Int] {
            try f.get("transactions" + query).json["transactions"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
        }
        #expect(try list("") == ids)
        #expect(try list("?order_by=-id") == ids.reversed())
        #expect(try list("?order_by=order_id") == [ids[1], ids[2], ids[0]])
        #expect(try list("?order_by=-order_id") == [ids[0], ids[2], ids[1]])
        #expect(try list("?order_by=-updated") == [ids[0], ids[2], ids[1]])
        #expect(try list("?order_by=created") == ids)
        #expect(try list("?order_by=status") == [ids[1], ids[2], ids[0]])
        #expect(try list("?order_by=ref&limit=1") == [ids[1]])
        #expect(try list("?limit=2&offset=1") == [ids[1], ids[2]])
        #expect(try list("?offset=1") == [ids[1], ids[2]]) // within the default limit
        #expect(try list("?status=success") == [ids[0]])
        #expect(try list("?status=new&order_by=-id") == [ids[2], ids[1]])
        for (query, message) in [("?limit=101", "limit must be an integer from 1 to 100"), ("?limit=x", "limit must be an integer"),
                                 ("?offset=", "offset must be an integer"), ("?limit=", "limit must be an integer"), ("?order_by=amount", "order_by must be one of id, status, updated, created, order_id, ref, optionally with -"),
                                 ("?status=lost", "status must be one of new, pending, confirmation, cancellation, success, cancelled, failure, chargeback, timeout")] {
            let r = try f.get("transactions" + query)
            #expect(r.status == 400)
            #expect(r.json == ["error": .string(message)])
        }
    }

    /// `5.0` is an integer to JSON Schema and, through `json_decode`, to PHP's rules: an id
    /// written so is that id, an `order_id` written so is `5`.
    @Test func wholeNumbersWrittenWithAPointAreWholeNumbers() throws {
        let f = try Fixture()
        let id = try f.create([("order_id", .number("12.0")), ("amount_in", .number("1e2"))])
        let created = try #require(try f.get("transaction?id=\(id)").json["transaction"])
        #expect(created["ref"]?.stringValue?.hasPrefix("12_") == true) // order_id_UnixTimestamp
        #expect(created["amount_in"] == "100")
        #expect(try f.post("cancel_transaction", ["id": .number("\(id).0")]).json["status"] == "cancelled")
        #expect(try f.status(id) == "cancelled")
        #expect(try f.post("cancel_transaction", ["id": .number("\(id).5")]).json == ["error": "id must be an integer"])
        #expect(try f.post("create_transaction", ["order_id": .number("1.5"), "currency_in": "USD", "currency_out": "BTC",
                                                  "amount_in": 1]).json == ["error": "order_id must be alphanumeric"])
    }

    @Test func merchantsNeverSeeEachOthersTransactionsOrProducts() throws {
        let f = try Fixture()
        let id = try f.create()
        #expect(try f.get("transaction?id=\(id)", as: auth2).status == 404)
        #expect(try f.post("cancel_transaction", ["id": .int(id)], as: auth2).status == 404)
        #expect(try f.post("chargeback_transaction", ["id": .int(id)], as: auth2).status == 404)
        #expect(try f.get("transactions", as: auth2).json["transactions"] == [])
        let product = try f.post("create_product", ["title": "P", "amount": 1, "currency": "USD", "unit": "single"]).json["id"]?.intValue ?? 0
        #expect(try f.get("product?id=\(product)", as: auth2).status == 404)
        #expect(try f.client.request("PUT", "/paytomat/api/v1/product/\(product)", headers: [auth2], json: ["amount": 2]).status == 404)
        #expect(try f.status(id) == "new")
    }

    @Test func productsAndTheirSuccesses() throws {
        let f = try Fixture()
        let created = try f.post("create_product", ["title": "Pierogi", "amount": 15, "currency": "UAH", "unit": "piece",
                                                    "fields": [["id": "comment", "title": "Comment", "is_required": 0, "type": "text", "custom_css": "is_optional"]]])
        let id = try #require(created.json["id"]?.intValue)
        let product = try #require(try f.get("product?id=\(id)").json["product"])
        #expect(product["amount"] == "15.00")
        #expect(product["unit"] == "piece")
        #expect(product["tx_success"] == 0)
        #expect(product["fields"]?[0]?["id"] == "comment")
        #expect(try f.client.request("PUT", "/paytomat/api/v1/product/\(id)", headers: [auth], json: ["amount": 20]).json == ["updated": 1])
        #expect(try f.get("product?id=\(id)").json["product"]?["amount"] == "20.00")
        #expect(try f.get("product?id=\(id)").json["product"]?["title"] == "Pierogi")
        let cases: [(JSON, String)] = [(["amount": 15, "currency": "UAH", "unit": "piece"], "title is required"),
                                (["title": "x", "amount": -1, "currency": "UAH", "unit": "piece"], "amount must be greater than 0"),
                                (["title": "x", "amount": .number("1.005"), "currency": "UAH", "unit": "piece"], "amount must have at most 2 decimal places"),
                                (["title": "x", "amount": 1, "currency": "ZZZ", "unit": "piece"], "currency: unknown currency code 'ZZZ'"),
                                (["title": "x", "amount": 1, "currency": "UAH", "unit": "kilo"], "unit must be single, piece or decimal"),
                                (["title": "x", "amount": 1, "currency": "UAH", "unit": "piece", "fields": "none"], "fields must be an array of objects"),
                                (["title": "x", "amount": 1, "currency": "UAH", "unit": "piece", "fields": [["title": "t"]]], "fields[0].id is required text"),
                                (["title": "x", "amount": 1, "currency": "UAH", "unit": "piece", "callback_url": "x"], "callback_url must be an absolute http or https URL")]
        for (body, message) in cases {
            let r = try f.post("create_product", body)
            #expect(r.status == 400)
            #expect(r.json == ["error": .string(message)])
        }
        #expect(try f.client.request("PUT", "/paytomat/api/v1/product/\(id)", headers: [auth], json: ["unit": "kilo"]).status == 400)
        #expect(try f.get("product?id=999").status == 404)
        #expect(try f.get("product").json == ["error": "id is required"])
    }

    @Test func theWidgetSellsAProductAndThePayerSimulatesThePayment() throws {
        let receiver = try Receiver()
        let f = try Fixture()
        let product = try f.post("create_product", ["title": "Croissant", "amount": 5, "currency": "USD", "unit": "piece",
                                                    "callback_url": .string(receiver.url), "custom_css": "https://somesite.com/css/style.css"]).json["id"]?.intValue ?? 0
        let url = try #require(try f.get("payment_url").json["url"]?.stringValue)
        #expect(url.hasPrefix("http://localhost/paytomat/pay/"))
        let path = String(url.dropFirst("http://localhost".count))
        let shop = try f.client.request("GET", path)
        #expect(shop.text.contains("Croissant"))
        let bought = try f.client.request("POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                          body: Array("product_id=\(product)&quantity=2&currency_out=LTC".utf8))
        #expect(bought.status == 303)
        let txPage = try #require(bought["Location"])
        #expect(try f.client.request("GET", txPage).text.contains("Simulate payment received"))
        let received = try f.client.request("POST", txPage, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("action=received".utf8))
        #expect(received.status == 303)
        try f.client.advance(120)
        let hook = try #require(receiver.wait(for: 1).first)
        #expect(hook.json["tx_status"] == "success")
        #expect(hook.json["product_id"] == .int(product))
        #expect(hook.json["custom_css"] == "https://somesite.com/css/style.css")
        #expect(hook.json["details"] == ["quantity": "2"])
        #expect(try f.get("product?id=\(product)").json["product"]?["tx_success"] == 1)
        #expect(try f.client.request("POST", txPage, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("action=expired".utf8)).status == 409)
        #expect(try f.client.request("GET", "/paytomat/pay/unknown").status == 404)
    }

    @Test func broadcast() throws {
        let f = try Fixture()
        let ok = try f.post("broadcast_transaction", ["currency": "BTC", "txid": "f39448872b469a6f49b7d8b037adf810519f1f2b583cba852e7f5128f53daf29",
                                                      "receiver": "1ApkXfxWgJ5CBHzrogVSKz23umMZ32wvNA", "amount": .number("0.07227808")])
        #expect(ok.json == ["success": 1])
        #expect(try f.post("broadcast_transaction", ["currency": "BTC", "txid": "x", "receiver": "y", "amount": 0]).json == ["error": "amount must be greater than 0"])
        #expect(try f.post("broadcast_transaction", ["currency": "BTC", "receiver": "y", "amount": 1]).json == ["error": "txid is required"])
    }
}

@Suite struct PaytomatPageTests {
    @Test func theTransactionPageShowsAScannableCode() throws {
        let test = try TestSandbox(providers: [PaytomatProvider()])
        let client = try test.client()
        let auth = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
        let created = try client.request("POST", "/paytomat/api/v1/create_transaction", headers: [auth],
                                          json: ["order_id": "Q1", "currency_in": "USD", "currency_out": "BTC", "amount_in": 100])
        let code = try #require(test.sandbox.store.read { db in
            try db.queryOne("SELECT code FROM paytomat_transactions WHERE id = ?", [created.json["id"]?.intValue ?? 0])?[0].string
        })
        let page = try client.request("GET", "/paytomat/pay/tx/\(code)").text
        let qr = try #require(QRCode(created.json["qr_code"]?.stringValue ?? ""))
        #expect(page.contains(qr.svg()))
    }
}

extension PaytomatAddress {
    /// The bytes a Base58 string encodes; nil for a character outside the alphabet.
    static func decode58(_ text: String) -> [UInt8]? {
        var bytes: [Int] = [0]
        for byte in text.utf8 {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            var carry = value
            for i in bytes.indices {
                carry += bytes[i] * 58
                bytes[i] = carry & 0xFF
                carry >>= 8
            }
            while carry > 0 { bytes.append(carry & 0xFF); carry >>= 8 }
        }
        let zeros = text.prefix { $0 == "1" }.count
        let body = bytes.reversed().drop { $0 == 0 }
        return [UInt8](repeating: 0, count: zeros) + body.map { UInt8($0) }
    }

    /// Decodes and checks a Base58Check string; nil when it is not one.
    static func decodeCheck(_ text: String) -> [UInt8]? {
        guard let bytes = decode58(text), bytes.count > 4 else { return nil }
        let payload = Array(bytes.dropLast(4))
        return base58Check(payload) == text ? payload : nil
    }
}
