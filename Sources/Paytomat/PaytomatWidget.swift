import Crypto
import Foundation
import HTTPServer
import SQLiteStore
import SandboxCore

/// The payment widget `payment_url` points to (the merchant's products, each bought for a
/// coin) and the page of one transaction, where a person simulates what the blockchain does.
struct PaytomatWidget {
    let context: SandboxContext
    var store: PaytomatStore { PaytomatStore(context: context) }

    /// A stable public code per merchant (not its credentials).
    static func code(for account: Accounts.Account) -> String {
        String(PaytomatAddress.base58(Array(SHA256.hash(data: Data("paytomat-widget:\(account.id):\(account.login)".utf8)))).prefix(11))
    }

    private func merchant(code: String) throws -> Accounts.Account? {
        try context.accounts.list(provider: PaytomatProvider.key).first { Self.code(for: $0) == code }
    }

    func shop(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let account = try merchant(code: request.parameters["code"] ?? "") else {
            return SandboxPage.render("Unknown shop", "<p>No such payment widget.</p>", status: 404)
        }
        let coins = PaytomatCurrency.all.filter(\.outgoing).map { "<option value=\"\(HTML.escape($0.code))\">\(HTML.escape($0.title))</option>" }.joined()
        let products = try store.products(merchant: account.id)
        let items = products.map { row in
            """
            <form method="post" action="\(HTML.escape(request.mountPrefix))/pay/\(HTML.escape(request.parameters["code"] ?? ""))">
              <h2>\(HTML.escape(row["title"].string ?? ""))</h2>
              <p>\(HTML.escape(row["amount"].string ?? "")) \(HTML.escape(row["currency"].string ?? "")) per \(HTML.escape(row["unit"].string ?? ""))</p>
              <input type="hidden" name="product_id" value="\(row["id"].int ?? 0)">
              <label>Quantity <input name="quantity" value="1" inputmode="decimal" size="4"\((row["unit"].string == "single") ? " readonly" : "")></label>
              <label>Pay with <select name="currency_out">\(coins)</select></label>
              <button type="submit">Buy</button>
            </form>
            """
        }.joined()
        return SandboxPage.render("Paytomat", products.isEmpty ? "<p>This merchant has no products yet.</p>" : items)
    }

    func buy(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let account = try merchant(code: request.parameters["code"] ?? "") else {
            return SandboxPage.render("Unknown shop", "<p>No such payment widget.</p>", status: 404)
        }
        let form = request.formBody
        guard let id = form["product_id"].flatMap({ Int($0) }), let product = try store.product(merchant: account.id, id: id) else {
            return SandboxPage.render("Unknown product", "<p>No such product.</p>", status: 404)
        }
        let unit = product["unit"].string ?? "single"
        guard let quantity = Decimal(string: unit == "single" ? "1" : (form["quantity"] ?? "1")), quantity > 0,
              unit != "piece" || NSDecimalNumber(decimal: quantity).doubleValue.rounded() == NSDecimalNumber(decimal: quantity).doubleValue,
              let price = Decimal(string: product["amount"].string ?? ""),
              let currencyIn = PaytomatCurrency.find(product["currency"].string ?? "", in: PaytomatCurrency.table(settings: account.settings)),
              let currencyOut = PaytomatCurrency.find(form["currency_out"] ?? "", in: PaytomatCurrency.table(settings: account.settings)),
              currencyOut.outgoing else {
            return SandboxPage.render("Check the order", "<p>Choose a valid quantity and coin.</p>", status: 400)
        }
        let orderID = "W\(context.clock.nowMilliseconds())"
        let timing = PaytomatTiming(settings: account.settings)
        let row = try store.create(merchant: account.id, .init(orderID: orderID, ref: "\(orderID)_\(context.clock.nowMilliseconds() / 1000)",
                                                              currencyIn: currencyIn, currencyOut: currencyOut, amountIn: price * quantity,
                                                              callbackURL: nil, productID: id, details: ["quantity": .string("\(quantity)")]),
                                   plan: nil, timing: timing)
        return .redirect(to: request.mountPrefix + "/pay/tx/" + (row["code"].string ?? ""), status: 303)
    }

    func transaction(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let row = try store.transaction(code: request.parameters["code"] ?? "") else {
            return SandboxPage.render("Unknown transaction", "<p>No such transaction.</p>", status: 404)
        }
        let status = row["status"].string ?? ""
        var body = """
            <dl>
              <dt>Amount</dt><dd class="amount">\(HTML.escape(row["amount_out"].string ?? "")) \(HTML.escape(row["currency_out"].string ?? ""))</dd>
              <dt>Send to</dt><dd><code>\(HTML.escape(row["address"].string ?? ""))</code></dd>
              <dt>Payment URI</dt><dd><code>\(HTML.escape(row["qr_code"].string ?? ""))</code></dd>
              <dt>Scan to pay</dt><dd class="qr">\(QRCode(row["qr_code"].string ?? "")?.svg() ?? "")</dd>
              <dt>Status</dt><dd class="status">\(HTML.escape(status)): \(HTML.escape(row["comment"].string ?? ""))</dd>
            </dl>
            """
        if status == "new" {
            body += """
                <form method="post" action="\(HTML.escape(request.mountPrefix))/pay/tx/\(HTML.escape(row["code"].string ?? ""))">
                  <button type="submit" name="action" value="received">Simulate payment received</button>
                  <button type="submit" name="action" value="underpaid">Simulate underpaid</button>
                  <button type="submit" name="action" value="expired">Simulate expired</button>
                </form>
                """
        }
        return SandboxPage.render("Paytomat payment", body)
    }

    func simulate(_ request: HTTPRequest) throws -> HTTPResponse {
        let code = request.parameters["code"] ?? ""
        guard let row = try store.transaction(code: code), let id = row["id"].int else {
            return SandboxPage.render("Unknown transaction", "<p>No such transaction.</p>", status: 404)
        }
        let action = request.formBody["action"]
        guard ["received", "underpaid", "expired"].contains(action ?? "") else {
            return SandboxPage.render("Choose", "<p>Choose what happens.</p>", status: 400)
        }
        let done = try context.store.write { db -> Bool in
            guard try PaytomatStore.transaction(db, id: id)?["status"].string == "new" else { return false }
            let timing = PaytomatTiming(settings: try Accounts.settings(db, provider: PaytomatProvider.key, id: row["merchant"].int ?? 0))
            switch action {
            case "received": try PaytomatLifecycle.receive(db, id: id, timing: timing, now: context.clock.nowMilliseconds(), context: context)
            case "underpaid":
                try Jobs.cancel(db, provider: PaytomatProvider.key, payment: String(id))
                try PaytomatStore.transition(db, id: id, to: "failure", comment: "Payment underpaid", context: context)
            default:
                try Jobs.cancel(db, provider: PaytomatProvider.key, payment: String(id))
                try PaytomatStore.transition(db, id: id, to: "timeout", comment: "Payment not received in time", context: context)
            }
            return true
        }
        guard done else { return SandboxPage.render("Already done", "<p>This transaction has moved on already.</p>", status: 409) }
        context.wake()
        return .redirect(to: request.mountPrefix + "/pay/tx/" + code, status: 303)
    }
}
