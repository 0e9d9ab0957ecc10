import Foundation
import HTTPServer
import SQLiteStore
import SandboxCore

/// The external card gateway a `credit_card_external` order's form goes to: the form's
/// fields POSTed as a browser would show the card page; paying or failing there sends the
/// payer to the order's `return_url` with `__RESULT__` replaced by `ok` or `ko`.
struct CensusGateway {
    let context: ProviderContext

    /// Card numbers that are declined (any other Luhn-valid number is approved).
    static let declined: [String: String] = [
        "4000000000000002": "Card declined",
        "4000000000009995": "Insufficient funds",
        "4000000000000069": "Expired card",
    ]

    func show(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.formBody
        guard let token = form["token"], let order = try CensusStore(context: context).order(token: token),
              form["order_id"] == nil || form["order_id"] == String(order.id) else {
            return SandboxPage.message("Unknown payment", "This payment form is not valid.", status: 404)
        }
        return page(order, token: token, action: request.mountPrefix + "/gateway/pay/complete")
    }

    func complete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let form = request.formBody
        guard let token = form["token"], let order = try CensusStore(context: context).order(token: token) else {
            return SandboxPage.message("Unknown payment", "This payment form is not valid.", status: 404)
        }
        let action = request.mountPrefix + "/gateway/pay/complete"
        guard order.status == .pending else {
            return SandboxPage.message("Already complete", "This payment is already \(order.status.rawValue).",
                                       status: 409)
        }
        let outcome: Outcome
        var card: (month: Int, year: Int)?
        if form["action"] == "fail" {
            outcome = Outcome(.failure, message: "Cancelled by the payer")
        } else {
            guard let number = CardNumber.read(form["card_number"]) else {
                return page(order, token: token, action: action, error: "The card number is not valid.")
            }
            guard let month = form["expiry_month"].flatMap({ Int($0) }), (1 ... 12).contains(month),
                  let year = form["expiry_year"].flatMap({ Int($0) }), (2000 ... 2100).contains(year) else {
                return page(order, token: token, action: action, error: "Give the expiry month and year.")
            }
            card = (month, year)
            outcome = Self.declined[number].map { Outcome(.failure, message: $0) } ?? .success
        }
        do {
            try await CensusStore(context: context).complete(order: order.id, outcome: outcome, card: card)
        } catch CompletionError.alreadyFinal(let status) {
            return SandboxPage.message("Already complete", "This payment is already \(status).", status: 409)
        }
        let result = outcome.kind == .success ? "ok" : "ko"
        return .redirect(to: (order.returnURL ?? "").replacingOccurrences(of: "__RESULT__", with: result), status: 303)
    }

    private func page(_ order: CensusStore.Order, token: String, action: String, error: String? = nil) -> HTTPResponse {
        let view: JSON = [
            "error": .string(error ?? ""), "amount": .string(SandboxPage.amount(minorUnits: order.amount) + " €"),
            "description": .string(order.description), "token": .string(token), "action": .string(action),
        ]
        return SandboxPage.render("census-card", title: "Card payment", view, status: error == nil ? 200 : 422,
                                  redirects: [order.returnURL ?? ""])
    }
}
