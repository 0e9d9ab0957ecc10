import Crypto
import Foundation
import HTTPServer
import SQLiteStore
import SandboxCore

/// The payment widget `payment_url` points to (the merchant's products, each bought for a
/// coin) and the page of one transaction, where a person simulates what the blockchain does.
struct PaytomatWidget {
    let context: ProviderContext
    var store: PaytomatStore { PaytomatStore(context: context) }

    /// A stable public code per merchant (not its credentials).
    static func code(for account: Accounts.Account) -> String {
        String(
            PaytomatAddress.base58(
                Array(SHA256.hash(data: Data("paytomat-widget:\(account.id):\(account.login)".utf8)))
            ).prefix(11))
    }

    /// The transaction's page, absolute, on the scheme, host and port the request came in on
    /// (the code is base58: nothing a plugin's unencoded query string would break on).
    static func trackURL(_ request: HTTPRequest, code: String) -> String {
        request.mountURL + "/pay/tx/" + code
    }

    /// The merchant whose widget the path's code names.
    private func merchant(_ request: HTTPRequest) throws -> Accounts.Account {
        let code = request.parameters["code"] ?? ""
        guard let account = try context.accountList().first(where: { Self.code(for: $0) == code }) else {
            throw SandboxPage.Refusal("Unknown shop", "No such payment widget.", status: 404)
        }
        return account
    }

    func shop(_ request: HTTPRequest) throws -> HTTPResponse {
        let account = try merchant(request)
        let coins: [JSON] = PaytomatCurrency.all.filter(\.outgoing).map {
            ["code": .string($0.code), "title": .string($0.title)]
        }
        let products: [JSON] = try store.products(merchant: account.id).map { product in
            ["title": .string(product.title), "amount": .string(product.amount), "currency": .string(product.currency),
             "unit": .string(product.unit), "single": .bool(product.unit == "single"), "id": .int(product.id)]
        }
        let view: JSON = ["products": .array(products), "coins": .array(coins),
                          "action": .string(request.mountPrefix + "/pay/" + (request.parameters["code"] ?? ""))]
        return SandboxPage.render("paytomat-shop", title: "Paytomat", view)
    }

    func buy(_ request: HTTPRequest) async throws -> HTTPResponse {
        let account = try merchant(request)
        let form = request.formBody
        guard let id = form["product_id"].flatMap({ Int($0) }),
              let product = try store.product(merchant: account.id, id: id)
        else { return SandboxPage.message("Unknown product", "No such product.", status: 404) }
        let table = PaytomatCurrency.table(settings: account.settings)
        guard let quantity = Decimal(string: product.unit == "single" ? "1" : (form["quantity"] ?? "1")), quantity > 0,
              product.unit != "piece" || quantity == quantity.rounded(), let price = Decimal(string: product.amount),
              let currencyIn = PaytomatCurrency.find(product.currency, in: table),
              let currencyOut = PaytomatCurrency.find(form["currency_out"] ?? "", in: table), currencyOut.outgoing
        else { return SandboxPage.message("Check the order", "Choose a valid quantity and coin.", status: 400) }
        let orderID = "W\(context.clock.nowMilliseconds())"
        let created = try await store.create(
            merchant: account.id,
            .init(orderID: orderID, ref: "\(orderID)_\(context.clock.nowMilliseconds() / 1000)", currencyIn: currencyIn,
                  currencyOut: currencyOut, amountIn: price * quantity, callbackURL: nil, productID: id,
                  details: ["quantity": .string("\(quantity)")]),
            plan: nil, timing: PaytomatTiming(settings: account.settings))
        return .redirect(to: request.mountPrefix + "/pay/tx/" + created.code, status: 303)
    }

    func transaction(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let transaction = try store.transaction(code: request.parameters["code"] ?? "") else {
            return SandboxPage.message("Unknown transaction", "No such transaction.", status: 404)
        }
        let view: JSON = [
            "amount": .string(transaction.amountOut), "coin": .string(transaction.currencyOut),
            "address": .string(transaction.address), "uri": .string(transaction.qrCode),
            "qr": .string(QRCode(transaction.qrCode)?.svg() ?? ""), "status": .string(transaction.status.rawValue),
            "comment": .string(transaction.comment), "open": .bool(transaction.status == .new),
            "action": .string(request.mountPrefix + "/pay/tx/" + transaction.code),
        ]
        return SandboxPage.render("paytomat-transaction", title: "Paytomat payment", view)
    }

    func simulate(_ request: HTTPRequest) async throws -> HTTPResponse {
        let code = request.parameters["code"] ?? ""
        guard let transaction = try store.transaction(code: code) else {
            return SandboxPage.message("Unknown transaction", "No such transaction.", status: 404)
        }
        let action = request.formBody["action"]
        guard ["received", "underpaid", "expired"].contains(action ?? "") else {
            return SandboxPage.message("Choose", "Choose what happens.", status: 400)
        }
        let done = try await store.simulate(action ?? "", id: transaction.id, merchant: transaction.merchant)
        guard done else {
            return SandboxPage.message("Already done", "This transaction has moved on already.", status: 409)
        }
        return .redirect(to: request.mountPrefix + "/pay/tx/" + code, status: 303)
    }
}

extension Decimal {
    /// The whole number nearest (halves away from zero).
    fileprivate func rounded() -> Decimal {
        var value = self, result = Decimal()
        NSDecimalRound(&result, &value, 0, .plain)
        return result
    }
}
