import HTTPServer
import SQLiteStore
import SandboxCore

/// The PayPal-style approval page `redirectUrl` points to: company, logo, lines, amount,
/// Approve and Cancel; both go back to the payment's `returnUrl`.
struct AlphacommPage {
    let context: ProviderContext

    func show(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = request.parameters["paymentId"] ?? ""
        guard let payment = try AlphacommStore(context: context).payment(id: id) else {
            return SandboxPage.message("Unknown payment", "No payment “\(id)”.", status: 404)
        }
        let lines: [JSON] = (payment.lineItems.arrayValue ?? []).map { line in
            ["name": line["name"] ?? "", "description": line["description"] ?? "", "quantity": line["quantity"] ?? "",
             "price": .string(Self.money(line["amount"]?.intValue ?? 0, payment.currency))]
        }
        let view: JSON = [
            "logo": .string(payment.logo), "company": .string(payment.company), "lines": .array(lines),
            "description": .string(payment.description),
            "total": .string(Self.money(payment.amount, payment.currency)), "state": .string(payment.state.rawValue),
            "open": .bool(payment.state == .accepted),
            "action": .string(request.mountPrefix + "/paypal/approve/" + PercentDecoding.encode(payment.id)),
        ]
        return SandboxPage.render(
            "alphacomm-approval", title: "PayPal checkout", view, redirects: [payment.returnURL], images: [payment.logo]
        )
    }

    func submit(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = request.parameters["paymentId"] ?? ""
        let outcome: Outcome
        switch request.formBody["decision"] {
        case "approve": outcome = .success
        case "cancel": outcome = Outcome(.failure, message: "Cancelled by the payer")
        default: return SandboxPage.message("Choose", "Approve or cancel the payment.", status: 400)
        }
        var returnURL = ""
        do {
            returnURL = try await AlphacommStore(context: context).approve(id: id, outcome: outcome)
        } catch CompletionError.notFound {
            return SandboxPage.message("Unknown payment", "No payment “\(id)”.", status: 404)
        } catch CompletionError.alreadyFinal(let status) {
            return SandboxPage.message("Already done", "This payment is already \(status).", status: 409)
        }
        return .redirect(to: returnURL, status: 303)
    }

    static func money(_ cents: Int, _ currency: String) -> String {
        SandboxPage.amount(minorUnits: cents) + " " + currency
    }
}
