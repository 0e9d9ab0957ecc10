import HTTPServer
import SQLiteStore
import SandboxCore

/// The pay page `/pay/{uuid_payment}`: a card form; afterwards the payer goes to the
/// success or error URL with the uuid added, as the document describes.
struct PayXTodayPage {
    let context: ProviderContext

    /// The payment the page's path names.
    private func payment(_ request: HTTPRequest) throws -> PayXTodayStore.Payment {
        let uuid = request.parameters["uuid"] ?? ""
        guard let payment = try PayXTodayStore(context: context).payment(uuid: uuid) else {
            throw SandboxPage.Refusal("Unknown payment", "No payment “\(uuid)”.", status: 404)
        }
        return payment
    }

    func show(_ request: HTTPRequest) throws -> HTTPResponse {
        let payment = try payment(request)
        return page(payment, action: request.mountPrefix + "/pay/" + payment.uuid)
    }

    func submit(_ request: HTTPRequest) async throws -> HTTPResponse {
        let payment = try payment(request)
        let action = request.mountPrefix + "/pay/" + payment.uuid
        guard payment.state == .pending else {
            return SandboxPage.message("Already done", "This payment is already \(payment.state.rawValue).",
                                       status: 409)
        }
        let form = request.formBody
        guard let number = CardNumber.read(form["card_number"]) else {
            return page(payment, action: action, error: "The card number is not valid.")
        }
        let parts = (form["card_exp"] ?? "").trimmingASCIISpaces().split(separator: "/")
        guard parts.count == 2, let month = Int(parts[0]), (1...12).contains(month), parts[1].count == 2,
              Int(parts[1]) != nil else {
            return page(payment, action: action, error: "Give the expiry date as MM/YY.")
        }
        guard let cvc = form["card_cvc"], (3 ... 4).contains(cvc.count), cvc.allSatisfy(\.isNumber) else {
            return page(payment, action: action, error: "Give the 3 or 4 digit security code.")
        }
        let outcome = PayXTodayData.declined[number].map { Outcome(.failure, message: $0) } ?? .success
        let ip = request.headers.firstElement("X-Forwarded-For") ?? request.remoteHost
        let card = PayXTodayStore.CardUse(number: number, expiry: (month < 10 ? "0" : "") + "\(month)/\(parts[1])",
                                          ip: ip, country: nil)
        let settings: JSON
        do {
            settings = try await PayXTodayStore(context: context).complete(payment, outcome: outcome, card: card)
        } catch CompletionError.alreadyFinal(let status) {
            return SandboxPage.message("Already done", "This payment is already \(status).", status: 409)
        }
        let success = outcome.kind == .success
        let target = (success ? payment.urlSuccess : payment.urlError)
            ?? settings["callback"]?["payments"]?[success ? "success" : "error"]?.stringValue
        if let target, isAbsoluteHTTPURL(target) {
            return .redirect(to: Self.withUUID(target, payment.uuid), status: 303)
        }
        return SandboxPage.message(success ? "Payment successful" : "Payment failed",
            success ? "Thank you, the payment went through." : outcome.message ?? "The payment failed.", status: 200)
    }

    /// The redirect URL with the payment's uuid: in place of `{UUID}`, as `ppuuid=` when the
    /// URL has a query or ends with `ppuuid=`, else as the last path segment.
    static func withUUID(_ url: String, _ uuid: String) -> String {
        if url.contains("{UUID}") { return url.replacingOccurrences(of: "{UUID}", with: uuid) }
        if url.hasSuffix("ppuuid=") { return url + uuid }
        if url.contains("?") { return url + (url.hasSuffix("?") || url.hasSuffix("&") ? "" : "&") + "ppuuid=" + uuid }
        return url + (url.hasSuffix("/") ? "" : "/") + uuid
    }

    private func page(_ payment: PayXTodayStore.Payment, action: String, error: String? = nil) -> HTTPResponse {
        let view: JSON = [
            "error": .string(error ?? ""), "amount": .string("€" + payment.price),
            "period": .string("\(payment.period) month\(payment.period == 1 ? "" : "s")"),
            "description": .string(payment.description ?? ""), "action": .string(action),
        ]
        let callbacks = (try? context.account(id: payment.reseller))??.settings[
            "callback"]?["payments"]
        let redirects = [
            payment.urlSuccess, payment.urlError, callbacks?["success"]?.stringValue, callbacks?["error"]?.stringValue,
        ]
        return SandboxPage.render(
            "payxtoday-pay", title: "Pay", view, status: error == nil ? 200 : 422,
            redirects: redirects.compactMap { $0 })
    }
}
