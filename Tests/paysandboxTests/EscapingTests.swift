import Testing
import HTTPServer
import SandboxCore
import TestSupport
import Alphacomm
import Census
import PayXToday
import Paytomat
import ProjectCX

/// Hostile text in every free-text field a merchant or payer can send renders inert on
/// every page: payer pages of all five providers and the dashboard.
@Suite struct EscapingTests {
    static let hostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
    static let inert = "&lt;script&gt;alert(1)&lt;/script&gt;"

    private func check(_ page: String, _ label: String) {
        #expect(!page.contains("<script>alert(1)"), "\(label)")
        #expect(!page.contains("<img src=x"), "\(label)")
        #expect(page.contains(Self.inert), "\(label) does not show the text at all")
    }

    @Test func everyPageEscapesWhatItShows() throws {
        let test = try TestSandbox(providers: [ProjectCXProvider(), PaytomatProvider(), CensusProvider(), PayXTodayProvider(), AlphacommProvider()])
        let client = try test.client()
        let h = JSON.string(Self.hostile)

        // Project CX: description and info on the order page.
        let token = try client.projectCXToken()
        let order = try client.request("POST", "/projectcx/rest2/payment/create", headers: [("Authorization", "Bearer \(token)")],
                                       json: ["amount": 100, "description": h, "info": h, "callback": "http://127.0.0.1:9/cb"]).json["orderId"]?.stringValue ?? ""
        check(try client.request("GET", "/projectcx/payment?orderId=\(order)").text, "projectcx page")

        // Paytomat: a product's title on the widget.
        let basic = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
        _ = try client.request("POST", "/paytomat/api/v1/create_product", headers: [basic], json: ["title": h, "amount": 5, "currency": "USD", "unit": "piece"])
        let widget = try client.request("GET", "/paytomat/api/v1/payment_url", headers: [basic]).json["url"]?.stringValue ?? ""
        check(try client.request("GET", String(widget.dropFirst("http://localhost".count))).text, "paytomat widget")

        // Census: the order description on the card page.
        let body = "person_id=1%40census&description=\(PercentDecoding.encode(Self.hostile))&amount=100&campaign_code=c&payment_method_type=credit_card_external&return_url=https%3A%2F%2Fa.example%2F__RESULT__"
        let census = try client.request("POST", "/census/api/v1/payments/orders", headers: [formType], body: Array(body.utf8)).json
        let fields = (census["form"]?["fields"]?.objectValue ?? []).map { "\($0.0)=\(PercentDecoding.encode($0.1.stringValue ?? ""))" }.joined(separator: "&")
        check(try client.request("POST", "/census/gateway/pay", headers: [formType], body: Array(fields.utf8)).text, "census card page")

        // PayXToday: the payment description on the pay page.
        let api = "/payxtoday/api/v1/1/sandbox-secret/"
        _ = try client.request("POST", api + "clients/create", headers: [formType], body: Array("name=x&id_country=1&e_mail=x%40example.com".utf8))
        let payment = try client.request("POST", api + "payments/create", headers: [formType],
                                         body: Array("id_client=1&price=5&period=1&description=\(PercentDecoding.encode(Self.hostile))".utf8)).json["data"]
        check(try client.request("GET", "/payxtoday/pay/\(payment?["uuid_payment"]?.stringValue ?? "")").text, "payxtoday pay page")

        // Alphacomm: company name, line name and description on the approval page.
        let accessToken = try client.request("GET", "/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials").json["access_token"]?.stringValue ?? ""
        let paymentRequest: JSON = [
            "paymentId": "0f8fad5b-d9cb-469f-a165-70867728950e", "returnUrl": "https://a.example/", "companyName": h, "logo": "https://a.example/l.png",
            "autoCapture": false,
            "payer": ["id": "1", "firstName": h, "lastName": "x", "street": "x", "city": "x", "zipcode": "x", "phone": "+31612345678",
                      "email": "a@b.nl", "country": "NL", "ipAddress": "127.0.0.1", "language": "nl", "status": "guest", "verificationStatus": 1,
                      "accountType": "x", "dateRegistration": "2016-01-01T00:00:00+0100", "dateLastUpdated": "2016-01-01T00:00:00+0100",
                      "dateFirstPurchase": "2016-01-01T00:00:00+0100", "withdrawalHistory": [], "cashBalance": 0, "bonusBalance": 0,
                      "openPositionCost": 0, "binaryHistory": [], "forexHistory": []],
            "transaction": ["reference": "r", "currency": "EUR", "amount": 100, "description": h,
                            "lines": [["name": h, "description": h, "sku": "s", "quantity": "1", "amount": 100]]],
        ]
        let created = try client.request("POST", "/alphacomm/api/paypal/create", headers: [("Authorization", "Bearer \(accessToken)")], json: paymentRequest)
        #expect(created.status == 200, "\(created.text)")
        check(try client.request("GET", "/alphacomm/paypal/approve/0f8fad5b-d9cb-469f-a165-70867728950e").text, "alphacomm approval page")

        // The dashboard: a payment's page shows the requests that carried the text.
        check(try client.request("GET", "/_sandbox/payments/projectcx/\(order)/view").text, "dashboard payment page")
        let list = try client.request("GET", "/_sandbox/?q=\(PercentDecoding.encode(Self.hostile))").text
        #expect(!list.contains("<script>alert(1)"))
    }
}
